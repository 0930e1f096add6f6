// Snapshot summaries: every series of one scrape as it stands, cumulative since the server
// (re)started. Pure.
import type { Exposition } from '../model/metrics.js';
import { histogramQuantile } from './histogram-quantile.js';
import { countOf, setQuantiles } from './series.js';
import type { MetricSummary } from '../model/metrics-summary.js';
import { rowLabels, selectSeries, type Selection } from './select.js';
import { unitOf } from './units.js';

/**
 * One summary per series of every family, in the order the exposition lists them. The `_created`
 * gauges that prometheus_client adds to 0.0.4 text are folded into their families, not listed.
 */
export function summarizeFamilies(exposition: Exposition): MetricSummary[] {
  return summarizeSelection(selectSeries(exposition));
}

/** One summary per series kept by selectSeries, in the same order. */
export function summarizeSelection(selection: Selection): MetricSummary[] {
  const out: MetricSummary[] = [];
  for (const { family, series } of selection.families) {
    const unit = unitOf(family.name, family.unit).unit;
    for (const s of series) {
      const m: MetricSummary = { family: family.name, type: family.type, ...rowLabels(s.labels), unit };
      if (family.type === 'histogram' || family.type === 'gaugehistogram' || family.type === 'summary') {
        const count = family.type === 'summary' ? s.count : countOf(s);
        if (count !== undefined) m.count = count;
        if (s.sum !== undefined) m.sum = s.sum;
        if (count !== undefined && count > 0 && s.sum !== undefined) m.mean = s.sum / count;
        if (family.type === 'summary') setQuantiles(m, (q) => s.quantiles.get(q));
        else if (s.buckets.length > 0) setQuantiles(m, (q) => histogramQuantile(q, s.buckets));
      } else if (s.value !== undefined) {
        m.value = s.value;
      }
      out.push(m);
    }
  }
  return out;
}
