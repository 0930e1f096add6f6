// From one or two scrapes to what the user reads: the key metrics first (tokenize time, request
// latency, queue depth, worker count, GPU memory), then the rest. Pure.
import type { KeyMetricName } from '../config/config.js';
import type { Exposition } from '../model/metrics.js';
import { KEY_METRICS, recognize } from './key-metrics.js';
import { summarizeFamilies } from './snapshot-summary.js';
import type { KeyMetric, MetricSummary } from '../model/metrics-summary.js';
import { unitOf } from './units.js';

/** Config spelling (kebab-case, as in pyproject) → KEY_METRICS keys. */
const CONFIG_TO_KEY: Record<KeyMetricName, KeyMetric> = {
  tokenize: 'tokenize',
  'request-latency': 'requestLatency',
  'queue-depth': 'queueDepth',
  'worker-count': 'workerCount',
  'gpu-memory': 'gpuMemory',
};

export function keyOverrides(config: Partial<Record<KeyMetricName, string[]>>): Partial<Record<KeyMetric, string[]>> {
  const out: Partial<Record<KeyMetric, string[]>> = {};
  for (const [k, v] of Object.entries(config) as Array<[KeyMetricName, string[]]>) out[CONFIG_TO_KEY[k]] = v;
  return out;
}

export const KEY_ORDER = Object.keys(KEY_METRICS) as KeyMetric[];

export interface KeyEntry<T> {
  key: KeyMetric;
  title: string;
  /** The family that carries it, or null when none matched. */
  family: string | null;
  /** Every series of that family (several label sets: per method, per GPU…). */
  series: T[];
}

/** Key metrics with their series, from any list of per-series rows carrying a `family`. */
export function keyEntries<T extends { family: string }>(exposition: Exposition, rows: T[], overrides: Partial<Record<KeyMetric, string[]>>): KeyEntry<T>[] {
  const found = recognize(exposition.families, overrides);
  return KEY_ORDER.map((key) => {
    const family = found.get(key)?.[0] ?? null;
    return { key, title: KEY_METRICS[key].title, family, series: family === null ? [] : rows.filter((r) => r.family === family) };
  });
}

export function snapshotSummaries(exposition: Exposition): MetricSummary[] {
  return summarizeFamilies(exposition);
}

/** A time value in ms for display, or null when the family's unit is not a time. */
export function toMs(family: string, unitField: string | null, v: number | undefined): number | null {
  if (v === undefined || !Number.isFinite(v)) return null;
  const u = unitOf(family, unitField);
  return u.scaleToMs !== undefined ? v * u.scaleToMs : null;
}
