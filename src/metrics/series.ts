// Series: the samples of one family that share their labels, `le` and `quantile` aside, with the
// `_created` companions folded back in; and the p50/p95/p99 that both kinds of summary row carry.
// Shared by snapshot-summary.ts and interval-summary.ts. Pure.
import type { Exposition, Labels, MetricFamily, MetricType, Sample } from '../model/metrics.js';
import type { Bucket } from './histogram-quantile.js';

export interface Series {
  labels: Labels;
  /** Counter, gauge, untyped, info and stateset samples. */
  value?: number;
  count?: number;
  sum?: number;
  /** `_created`: seconds since the epoch when the series (re)started. */
  created?: number;
  buckets: Bucket[];
  /** Summary quantiles by φ. */
  quantiles: Map<number, number>;
}

/** Labels that make one sample of a series rather than a series of its own. */
function innerLabel(type: MetricType): string | null {
  if (type === 'histogram' || type === 'gaugehistogram') return 'le';
  if (type === 'summary') return 'quantile';
  return null;
}

/** A canonical key for a label set: names sorted, JSON so that any value is unambiguous. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  const parts: string[] = [];
  for (const n of names) parts.push(n, labels[n]!);
  return JSON.stringify(parts);
}

/** A float in a label value (`le`, `quantile`): Go spellings of infinity allowed. */
function labelFloat(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

/** The series of one family, in the order they first appear, each with its `_created` from the companions. */
export function seriesOf(family: MetricFamily, companions: Companions): Series[] {
  const inner = innerLabel(family.type);
  const created = companions.created.get(family.name);
  const byKey = new Map<string, Series>();
  const order: Series[] = [];
  for (const sample of family.samples) {
    let labels = sample.labels;
    let innerValue: string | undefined;
    if (inner !== null && Object.prototype.hasOwnProperty.call(labels, inner)) {
      innerValue = labels[inner];
      labels = { ...labels };
      delete labels[inner];
    }
    const key = labelsKey(labels);
    let s = byKey.get(key);
    if (s === undefined) {
      s = { labels, buckets: [], quantiles: new Map() };
      const c = created?.get(key);
      if (c !== undefined) s.created = c;
      byKey.set(key, s);
      order.push(s);
    }
    addSample(family, s, sample, innerValue);
  }
  return order;
}

/**
 * The 0.0.4 text has no `_created` samples, so prometheus_client writes them as gauge families of
 * their own (`x_created` beside counter `x_total`, histogram or summary `x`); see its
 * exposition.generate_latest. They are folded back into their series here: they tell a restart
 * apart even when a counter has already grown past its old value, and they are not metrics to show.
 */
interface Companions {
  /** Owner family name → series key → `_created` value. */
  created: Map<string, Map<string, number>>;
  /** Names of the `_created` families folded in. */
  folded: Set<string>;
}

export function companionsOf(exposition: Exposition): Companions {
  const byName = new Map(exposition.families.map((f) => [f.name, f]));
  const out: Companions = { created: new Map(), folded: new Set() };
  for (const family of exposition.families) {
    if (!family.name.endsWith('_created') || (family.type !== 'gauge' && family.type !== 'untyped' && family.type !== 'unknown')) continue;
    const base = family.name.slice(0, family.name.length - '_created'.length);
    const counter = byName.get(`${base}_total`);
    const other = byName.get(base);
    const owner = counter?.type === 'counter' ? counter : other !== undefined && ['histogram', 'summary', 'counter'].includes(other.type) ? other : undefined;
    if (owner === undefined) continue;
    const values = new Map<string, number>();
    for (const sample of family.samples) values.set(labelsKey(sample.labels), sample.value);
    out.created.set(owner.name, values);
    out.folded.add(family.name);
  }
  return out;
}

function addSample(family: MetricFamily, s: Series, sample: Sample, innerValue: string | undefined): void {
  const suffix = sample.name.startsWith(family.name) ? sample.name.slice(family.name.length) : sample.name;
  if (suffix === '_created') {
    s.created = sample.value;
    return;
  }
  switch (family.type) {
    case 'histogram':
    case 'gaugehistogram': {
      if (suffix === '_bucket') {
        const le = labelFloat(innerValue);
        if (le !== undefined) s.buckets.push({ le, count: sample.value });
      } else if (suffix === '_sum' || suffix === '_gsum') s.sum = sample.value;
      else if (suffix === '_count' || suffix === '_gcount') s.count = sample.value;
      return;
    }
    case 'summary': {
      if (suffix === '_sum') s.sum = sample.value;
      else if (suffix === '_count') s.count = sample.value;
      else if (suffix === '') {
        const q = labelFloat(innerValue);
        if (q !== undefined) s.quantiles.set(q, sample.value);
      }
      return;
    }
    default:
      s.value = sample.value;
  }
}

/** A histogram's observation count: `_count`, else its +Inf bucket. */
export function countOf(s: Series): number | undefined {
  if (s.count !== undefined) return s.count;
  return s.buckets.find((b) => b.le === Infinity)?.count;
}

const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

/** Sets p50/p95/p99 where `pick` has a value: NaN (histogram_quantile without observations) leaves the field absent. */
export function setQuantiles(out: { p50?: number; p95?: number; p99?: number }, pick: (q: number) => number | undefined): void {
  for (const [key, q] of QUANTILES) {
    const v = pick(q);
    if (v !== undefined && !Number.isNaN(v)) out[key] = v;
  }
}
