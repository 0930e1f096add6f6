// One watch metrics sample: interval values (or totals on the first), or a gap with its reason.
import type { Duplicates, ScrapeFailureKind } from './metrics.js';
import type { IntervalSummary, KeyMetric, MetricSummary } from './metrics-summary.js';

export type Row = IntervalSummary | MetricSummary;

export interface KeyValue {
  key: KeyMetric;
  title: string;
  family: string;
  series: Row[];
}

export type MetricsSample =
  | {
      ok: true;
      t: string;
      url: string;
      scrapeMs: number;
      bytes: number;
      /** Seconds since the last good scrape; null on the first (values are then totals since start). */
      seconds: number | null;
      /** Series whose counters went down since the last good scrape: the server restarted. */
      resets: string[];
      keys: KeyValue[];
      /**
       * Every series kept (at most thresholds.metrics-max-series, the key metrics' first): interval
       * values, or totals on the first sample.
       */
      series: Row[];
      /**
       * Series in the scrape, and how many of them have no row in `series`: over the limit, or
       * (just after the limit cut the scrape before) with nothing kept to difference against yet.
       * Absent in documents written before they were recorded.
       */
      seriesTotal?: number;
      seriesDropped?: number;
      /** Samples the body gave twice for one series, dropped (the first kept); absent when none. */
      duplicates?: Duplicates;
    }
  | { ok: false; t: string; url: string; kind: ScrapeFailureKind; message: string; line: number | null };

