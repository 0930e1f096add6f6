// One metrics sample after another: each scrape differenced against the last good one (interval
// values), totals on the first, a gap with its reason when a scrape fails. Used by `watch metrics`,
// the diagnosis window and `check`.
import type { KeyMetricName } from '../config/config.js';
import type { Host } from '../host/host.js';
import { keyEntries, keyOverrides, snapshotSummaries } from '../metrics/report.js';
import { intervalSummaries } from '../metrics/interval-summary.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import type { Exposition } from '../model/metrics.js';
import { scrapeMetrics, type ScrapeOptions } from '../probes/metrics.http.js';
import { labelsText } from '../model/metrics.js';
import type { MetricsSample, Row } from '../model/metrics-sample.js';


export interface MetricsSampler {
  sample(): Promise<MetricsSample>;
  /** The first lines of the last body read (for the evidence bundle); null before one was read. */
  lastHead(): string | null;
}

export function createMetricsSampler(host: Host, url: string, scrape: ScrapeOptions, keyMetrics: Partial<Record<KeyMetricName, string[]>>): MetricsSampler {
  const overrides = keyOverrides(keyMetrics);
  let prev: { exposition: Exposition; at: number } | null = null;
  let head: string | null = null;
  return {
    lastHead: () => head,
    async sample() {
      const r = await scrapeMetrics(host, url, scrape);
      if (!r.ok) return { ok: false, t: r.takenAt, url, kind: r.kind, message: r.message, line: r.line ?? null };
      head = r.head;
      const at = Date.parse(r.takenAt);
      const seconds = prev ? (at - prev.at) / 1000 : null;
      const series: Row[] = prev && seconds && seconds > 0 ? intervalSummaries(prev.exposition, r.exposition, seconds) : snapshotSummaries(r.exposition);
      const resets = series.filter((x): x is IntervalSummary => 'reset' in x && x.reset).map((x) => x.family + labelsText(x.labels));
      const keys = keyEntries(r.exposition, series, overrides)
        .filter((k) => k.family !== null)
        .map((k) => ({ key: k.key, title: k.title, family: k.family!, series: k.series }));
      prev = { exposition: r.exposition, at };
      return { ok: true, t: r.takenAt, url: r.url, scrapeMs: Math.round(r.durationMs * 10) / 10, bytes: r.bytes, seconds, resets, keys, series };
    },
  };
}
