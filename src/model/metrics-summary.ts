// The rows the metrics summaries produce (src/metrics/), and the names of the key metrics: read by
// the watch, the rules, the renderers and the CLI.
import type { Labels, MetricType } from './metrics.js';

/**
 * Units a name can tell. Times: `ms`, `s`, `us`; sizes: `bytes`, `mib` (DCGM's framebuffer
 * fields); fractions: `ratio` (0–1) and `percent` (0–100).
 */
export type Unit = 'ms' | 's' | 'us' | 'bytes' | 'mib' | 'ratio' | 'percent';

/** One series as it stands now, cumulative since the server (re)started. */
export interface MetricSummary {
  family: string;
  type: MetricType;
  /** The series' labels (`le` and `quantile` removed), each value cut to its first 256 characters. */
  labels: Labels;
  /** The full length of each label value that was cut (a label value can be megabytes); absent when none was. */
  labelLengths?: Record<string, number>;
  unit: Unit | null;
  /** Counters (the running total), gauges, untyped/unknown, info, stateset. */
  value?: number;
  /** Histograms and summaries. */
  count?: number;
  sum?: number;
  /** sum / count; absent while count is 0. */
  mean?: number;
  /** Histograms: histogram_quantile over the buckets; summaries: the server's own quantiles. Absent when undefined (no observations, no +Inf bucket, or a summary without that quantile). */
  p50?: number;
  p95?: number;
  p99?: number;
}

/** One series over the interval between two scrapes. */
export interface IntervalSummary {
  family: string;
  type: MetricType;
  /** As in MetricSummary: values cut to 256 characters, their full lengths in labelLengths. */
  labels: Labels;
  labelLengths?: Record<string, number>;
  unit: Unit | null;
  /** The interval's length, as given. */
  seconds: number;
  /** Not in the earlier scrape: counted from zero (a new series, or the first scrape after a restart). */
  isNew: boolean;
  /**
   * A counter (or a histogram's or summary's count, or any bucket) went down, the bucket layout
   * changed, or `_created` moved: the server restarted. As Prometheus' rate() does, the current
   * value is then taken as the increase over the interval, so it is never negative.
   */
  reset: boolean;
  /** Gauges, untyped/unknown, info, stateset: the current value. */
  value?: number;
  /** Gauges: change since the earlier scrape (absent for a new series). Counters: the increase. */
  delta?: number;
  /** Counters: increase per second. Histograms and summaries: observations per second. */
  rate?: number;
  /** Histograms and summaries: observations, their sum and mean within the interval. */
  count?: number;
  sum?: number;
  mean?: number;
  /** Histograms: from the bucket deltas, so of this interval only. Summaries: see serverQuantiles. */
  p50?: number;
  p95?: number;
  p99?: number;
  /** Summaries: p50/p95/p99 are the server's current values, not this interval's (a summary's quantiles cannot be differenced). */
  serverQuantiles?: true;
}

/**
 * The metrics the diagnosis reads. Written out rather than derived from KEY_METRICS
 * (key-metrics.ts), which would tie this file to code; KEY_METRICS `satisfies` a record over
 * exactly these keys, so the two cannot drift apart.
 */
export type KeyMetric = 'tokenize' | 'requestLatency' | 'queueDepth' | 'workerCount' | 'gpuMemory';
