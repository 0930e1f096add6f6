// One metrics sample after another: each scrape differenced against the last good one (interval
// values), totals on the first, a gap with its reason when a scrape fails. Used by `watch metrics`,
// the diagnosis window and `check`.
//
// Memory: a sample holds rows for at most `maxSeries` series (the key metrics' first), and the
// sampler keeps of the last good scrape only those series, copied out of its body, to difference
// the next one against; neither the body nor the parsed exposition outlives the call. So a watch
// against an endpoint with a million series grows by no more than the limit per sample.
import type { KeyMetricName } from '../config/config.js';
import type { Host } from '../host/host.js';
import { keyEntries, keyOverrides, KEY_ORDER } from '../metrics/report.js';
import { recognize } from '../metrics/key-metrics.js';
import { intervalRows } from '../metrics/interval-summary.js';
import { DEFAULT_MAX_SERIES, selectSeries, seriesTable, type SeriesTable } from '../metrics/select.js';
import { summarizeSelection } from '../metrics/snapshot-summary.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import { scrapeMetrics, type ScrapeOptions } from '../probes/metrics.http.js';
import { labelsText } from '../model/metrics.js';
import type { MetricsSample, Row } from '../model/metrics-sample.js';

export interface MetricsSampler {
  sample(): Promise<MetricsSample>;
  /** The first lines of the last body read (for the evidence bundle); null before one was read. */
  lastHead(): string | null;
  /** How many series it keeps of the last good scrape, to difference the next against (at most the limit). */
  kept(): number;
}

export function createMetricsSampler(host: Host, url: string, scrape: ScrapeOptions, keyMetrics: Partial<Record<KeyMetricName, string[]>>): MetricsSampler {
  const overrides = keyOverrides(keyMetrics);
  const limit = scrape.maxSeries ?? DEFAULT_MAX_SERIES;
  let prev: { table: SeriesTable; at: number } | null = null;
  let head: string | null = null;
  return {
    lastHead: () => head,
    kept: () => (prev === null ? 0 : [...prev.table.families.values()].reduce((n, f) => n + f.series.size, 0)),
    async sample() {
      const r = await scrapeMetrics(host, url, scrape);
      if (!r.ok) return { ok: false, t: r.takenAt, url, kind: r.kind, message: r.message, line: r.line ?? null };
      head = r.head;
      const at = Date.parse(r.takenAt);
      const seconds = prev ? (at - prev.at) / 1000 : null;
      const found = recognize(r.exposition.families, overrides);
      const first = KEY_ORDER.flatMap((k) => found.get(k)?.slice(0, 1) ?? []);
      const selection = selectSeries(r.exposition, { limit, first });
      let series: Row[];
      let notCompared = 0;
      if (prev && seconds && seconds > 0) {
        const iv = intervalRows(prev.table, selection, seconds);
        series = iv.rows;
        notCompared = iv.notCompared;
      } else {
        series = summarizeSelection(selection);
      }
      const resets = series.filter((x): x is IntervalSummary => 'reset' in x && x.reset).map((x) => x.family + labelsText(x.labels, x.labelLengths));
      const keys = keyEntries(r.exposition, series, overrides)
        .filter((k) => k.family !== null)
        .map((k) => ({ key: k.key, title: k.title, family: k.family!, series: k.series }));
      prev = { table: seriesTable(selection), at };
      const out: MetricsSample = {
        ok: true,
        t: r.takenAt,
        url: r.url,
        scrapeMs: Math.round(r.durationMs * 10) / 10,
        bytes: r.bytes,
        seconds,
        resets,
        keys,
        series,
        seriesTotal: selection.total,
        seriesDropped: selection.total - selection.kept + notCompared,
      };
      if (r.exposition.duplicates) out.duplicates = r.exposition.duplicates;
      return out;
    },
  };
}

/**
 * What the live view keeps of a sample once it has been shown and recorded: the first series of
 * each key metric (the headline and its sparkline), the resets, the counts; not `series`. The
 * watch keeps up to 120 samples for the sparklines, so this is what its memory is made of.
 */
export function forView(s: MetricsSample): MetricsSample {
  if (!s.ok) return s;
  return { ...s, series: [], keys: s.keys.map((k) => ({ ...k, series: k.series.slice(0, 1) })) };
}
