// Metrics as read from a server's exposition (Prometheus text 0.0.4 or OpenMetrics 1.0).
import { cutText } from './text.js';

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
  /**
   * Samples of a series (name and labels, `le` and `quantile` included) that the body had already
   * given: dropped, the first kept, as Prometheus' scrape loop drops them ("duplicate sample for
   * timestamp"). Absent when there were none (and in expositions not made by the parser).
   */
  duplicates?: Duplicates;
}

export interface DuplicateSample {
  /** 1-based lines of the dropped sample and of the first one, which is kept. */
  line: number;
  firstLine: number;
  /** `name{labels}` as text, label values cut (labelsText). */
  series: string;
}

export interface Duplicates {
  /** How many samples were dropped. */
  count: number;
  /** The first few of them (at most MAX_DUPLICATES_LISTED), in the body's order. */
  first: DuplicateSample[];
}

export const MAX_DUPLICATES_LISTED = 20;

/** One line for a duplicate, as the messages and the parse issues say it. */
export const duplicateText = (d: DuplicateSample) => `line ${d.line}: duplicate sample for ${d.series} (first at line ${d.firstLine}): dropped, the first is kept`;

/** The duplicate samples a scrape dropped, in one line: the count, then the first few. */
export function duplicatesText(d: Duplicates): string {
  const shown = d.first.slice(0, 3).map(duplicateText).join('; ');
  const more = d.count - Math.min(3, d.first.length);
  return `${d.count} duplicate sample${d.count === 1 ? '' : 's'} dropped, the first of each series kept (as Prometheus does): ${shown}${more > 0 ? `; and ${more} more` : ''}`;
}

/** Why a scrape gave no metrics (docs/metrics.md: each kind has its exit status). */
export type ScrapeFailureKind = 'bad-url' | 'refused' | 'timeout' | 'network' | 'redirects' | 'not-http' | 'tls' | 'too-large' | 'bad-encoding' | 'http-status' | 'not-metrics' | 'malformed';

/** A label value longer than this is cut in text output, with its length shown (labelsText). */
export const LABEL_TEXT_MAX = 64;

/** A label value longer than this is cut in summary rows (and so in JSON), its length kept in `labelLengths`. */
export const LABEL_VALUE_MAX = 256;

/**
 * `{model="x",le="5"}`, or '' without labels: a series' labels as Prometheus writes them, except
 * that a value longer than LABEL_TEXT_MAX is cut and says its length: `path="/aaaa…(10485760 chars)"`.
 * `lengths` gives the full length of values already cut in a row (`labelLengths`).
 */
export function labelsText(l: Record<string, string>, lengths?: Record<string, number>): string {
  const names = Object.keys(l);
  if (names.length === 0) return '';
  const parts: string[] = [];
  for (const k of names) {
    const v = l[k]!;
    const full = lengths?.[k] ?? v.length;
    parts.push(full > LABEL_TEXT_MAX || full > v.length ? `${k}="${cutText(v, LABEL_TEXT_MAX)}…(${full} chars)"` : `${k}="${v}"`);
  }
  return `{${parts.join(',')}}`;
}
