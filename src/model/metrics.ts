// Metrics as read from a server's exposition (Prometheus text 0.0.4 or OpenMetrics 1.0).

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'info' | 'stateset' | 'gaugehistogram' | 'unknown';

export type Labels = Record<string, string>;

export interface Exemplar {
  labels: Labels;
  value: number;
  timestampMs: number | null;
}

export interface Sample {
  /** Full sample name, suffix included (`tokenize_ms_bucket`, `requests_total`, `x_created`). */
  name: string;
  labels: Labels;
  /** NaN, +Inf and -Inf are kept as JS NaN/Infinity. */
  value: number;
  /** Milliseconds since the epoch (OpenMetrics timestamps are seconds, converted). */
  timestampMs: number | null;
  exemplar: Exemplar | null;
  /** 1-based line in the body, for error messages and evidence. */
  line: number;
}

export interface MetricFamily {
  /** Family name without sample suffixes (`tokenize_ms` for `tokenize_ms_bucket`). */
  name: string;
  type: MetricType;
  help: string | null;
  /** OpenMetrics `# UNIT`, or null. */
  unit: string | null;
  samples: Sample[];
}

export type ExpositionFormat = 'prometheus-0.0.4' | 'openmetrics-1.0.0';

export interface Exposition {
  format: ExpositionFormat;
  families: MetricFamily[];
}

/** Why a scrape gave no metrics (docs/metrics.md: each kind has its exit status). */
export type ScrapeFailureKind = 'bad-url' | 'refused' | 'timeout' | 'network' | 'redirects' | 'not-http' | 'tls' | 'too-large' | 'bad-encoding' | 'http-status' | 'not-metrics' | 'malformed';

/** `{model="x",le="5"}`, or '' without labels: a series' labels as Prometheus writes them. */
export const labelsText = (l: Record<string, string>) => (Object.keys(l).length === 0 ? '' : `{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',')}}`);
