// Which series of a scrape are summarised and kept: every one up to a limit per scrape (the
// config's thresholds.metrics-max-series), the key metrics' families first, and how many were
// left out. And what a watch keeps of one scrape to difference the next against: those series
// only, in copies that do not hold on to the scrape's body. Pure.
import type { Exposition, Labels, MetricFamily, MetricType } from '../model/metrics.js';
import { LABEL_VALUE_MAX } from '../model/metrics.js';
import { cutText, detach } from '../model/text.js';
import { companionsOf, labelsKey, seriesOf, type Series } from './series.js';

/** Series summarised per scrape by default (thresholds.metrics-max-series; docs/metrics.md, "Limits"). */
export const DEFAULT_MAX_SERIES = 10_000;

export interface SelectedFamily {
  family: MetricFamily;
  /** The family's series that were kept, in the order they first appear. */
  series: Series[];
  /** Every series of the family was kept. */
  complete: boolean;
}

export interface Selection {
  /** The families with series kept, in the exposition's order (the `_created` companions folded in). */
  families: SelectedFamily[];
  /** Series in the scrape, and how many of them were kept. */
  total: number;
  kept: number;
}

export interface SelectOptions {
  /** At most this many series are kept (default: all). */
  limit?: number;
  /** Families kept before any other (the key metrics'), in the order given. */
  first?: readonly string[];
}

/**
 * The series of a scrape, at most `limit` of them: those of the `first` families, then the
 * others in the exposition's order, so the cut is the same from one scrape to the next when the
 * server lists its series in a stable order (client libraries do). The families beyond the limit
 * are counted, not summarised.
 */
export function selectSeries(exposition: Exposition, opts: SelectOptions = {}): Selection {
  const limit = opts.limit ?? Infinity;
  const companions = companionsOf(exposition);
  const families = exposition.families.filter((f) => !companions.folded.has(f.name));
  const firstNames = new Set(opts.first ?? []);
  const chosen = new Map<MetricFamily, SelectedFamily>();
  let total = 0;
  let kept = 0;
  const take = (family: MetricFamily) => {
    const all = seriesOf(family, companions);
    total += all.length;
    const room = Math.max(0, limit - kept);
    if (room === 0) return;
    const series = all.length <= room ? all : all.slice(0, room);
    kept += series.length;
    chosen.set(family, { family, series, complete: series.length === all.length });
  };
  for (const name of firstNames) {
    const family = families.find((f) => f.name === name);
    if (family !== undefined) take(family);
  }
  for (const family of families) {
    if (firstNames.has(family.name)) continue;
    if (kept >= limit) total += countSeries(family);
    else take(family);
  }
  return { families: families.flatMap((f) => chosen.get(f) ?? []), total, kept };
}

/** How many series a family has, without building them (for families past the limit). */
function countSeries(family: MetricFamily): number {
  const inner = family.type === 'histogram' || family.type === 'gaugehistogram' ? 'le' : family.type === 'summary' ? 'quantile' : null;
  const keys = new Set<string>();
  for (const sample of family.samples) {
    if (inner === null || !Object.prototype.hasOwnProperty.call(sample.labels, inner)) keys.add(labelsKey(sample.labels));
    else {
      const rest = { ...sample.labels };
      delete rest[inner];
      keys.add(labelsKey(rest));
    }
  }
  return keys.size;
}

/**
 * What is kept of one scrape to difference the next against: the kept series by family and
 * labels, each a copy whose labels are the row's (cut, detached: see rowLabels), so that nothing
 * kept refers to the scrape's body.
 */
export interface SeriesTable {
  /** Every series of the scrape was kept: a series missing from it is new. */
  complete: boolean;
  families: Map<string, { type: MetricType; complete: boolean; series: Map<string, Series> }>;
}

export function seriesTable(selection: Selection): SeriesTable {
  const families: SeriesTable['families'] = new Map();
  for (const f of selection.families) {
    const series = new Map<string, Series>();
    for (const s of f.series) {
      const copy: Series = { labels: rowLabels(s.labels).labels, buckets: s.buckets, quantiles: s.quantiles };
      if (s.value !== undefined) copy.value = s.value;
      if (s.count !== undefined) copy.count = s.count;
      if (s.sum !== undefined) copy.sum = s.sum;
      if (s.created !== undefined) copy.created = s.created;
      series.set(tableKey(s.labels), copy);
    }
    families.set(f.family.name, { type: f.family.type, complete: f.complete, series });
  }
  return { complete: selection.kept === selection.total, families };
}

/**
 * The key of a series in a SeriesTable: its labelsKey, or, when that is long (a huge label
 * value), the key of its cut labels and a hash of the whole, so the table never holds the value.
 */
export function tableKey(labels: Labels): string {
  const key = labelsKey(labels);
  if (key.length <= 4 * LABEL_VALUE_MAX) return key;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${labelsKey(rowLabels(labels).labels)}#${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

/**
 * A series' labels as a summary row carries them: each value cut to LABEL_VALUE_MAX characters
 * (a server can send a 10 MB label value) and copied out of the body; `labelLengths` gives the
 * full length of the values that were cut, and is absent when none was.
 */
export function rowLabels(labels: Labels): { labels: Labels; labelLengths?: Record<string, number> } {
  const out: Labels = {};
  let lengths: Record<string, number> | undefined;
  for (const name of Object.keys(labels)) {
    const v = labels[name]!;
    const value = detach(cutText(v, LABEL_VALUE_MAX));
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
    if (v.length > LABEL_VALUE_MAX) (lengths ??= {})[name] = v.length;
  }
  return lengths === undefined ? { labels: out } : { labels: out, labelLengths: lengths };
}
