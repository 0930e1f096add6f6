// Units read from a metric's name or its OpenMetrics `# UNIT`, and their scale to ms or bytes. Pure.
import type { Unit } from '../model/metrics-summary.js';

export interface UnitInfo {
  unit: Unit | null;
  /** Multiply a value by this to get milliseconds (time units only). */
  scaleToMs?: number;
  /** Multiply a value by this to get bytes (size units only). */
  scaleToBytes?: number;
}

/** Sample suffixes that stand after the unit in a name (`x_seconds_bucket`, `x_bytes_total`). */
const TRAILING_SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_gsum', '_gcount'];

/** Name endings (after those suffixes are cut), longest first so `_milliseconds` beats `_seconds`. */
const UNIT_ENDINGS: ReadonlyArray<readonly [string, Unit]> = [
  ['_milliseconds', 'ms'],
  ['_microseconds', 'us'],
  ['_seconds', 's'],
  ['_ms', 'ms'],
  ['_us', 'us'],
  ['_bytes', 'bytes'],
  ['_mib', 'mib'],
  ['_ratio', 'ratio'],
  ['_percent', 'percent'],
  ['_perc', 'percent'], // vLLM: vllm:gpu_cache_usage_perc
];

/** OpenMetrics `# UNIT` values (the spec recommends base units: seconds, bytes, ratio). */
const UNIT_WORDS: Readonly<Record<string, Unit>> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  bytes: 'bytes',
  ratio: 'ratio',
  percent: 'percent',
};

/** Names that carry their unit only in their documentation (NVIDIA DCGM field list: FB_* in MiB). */
const KNOWN_UNITS: Readonly<Record<string, Unit>> = {
  dcgm_fi_dev_fb_used: 'mib',
  dcgm_fi_dev_fb_free: 'mib',
  dcgm_fi_dev_fb_total: 'mib',
  dcgm_fi_dev_fb_reserved: 'mib',
};

function withScale(unit: Unit | null): UnitInfo {
  switch (unit) {
    case 'ms':
      return { unit, scaleToMs: 1 };
    case 's':
      return { unit, scaleToMs: 1000 };
    case 'us':
      return { unit, scaleToMs: 0.001 };
    case 'bytes':
      return { unit, scaleToBytes: 1 };
    case 'mib':
      return { unit, scaleToBytes: 1024 * 1024 };
    default:
      return { unit };
  }
}

/**
 * The unit of a metric, from OpenMetrics' `# UNIT` when the family has one, else from the name's
 * ending (Prometheus naming practice: the unit is the last word before `_total`/`_bucket`/...):
 * `tokenize_ms`, `request_latency_seconds_bucket`, `gpu_memory_used_bytes`, `cache_hit_ratio`.
 */
export function unitOf(name: string, unitField: string | null): UnitInfo {
  if (unitField !== null && unitField !== '') {
    const fromField = UNIT_WORDS[unitField.toLowerCase()];
    if (fromField !== undefined) return withScale(fromField);
  }
  let base = name.toLowerCase();
  const known = KNOWN_UNITS[base];
  if (known !== undefined) return withScale(known);
  for (const suffix of TRAILING_SUFFIXES) {
    if (base.endsWith(suffix)) {
      base = base.slice(0, base.length - suffix.length);
      break;
    }
  }
  for (const [ending, unit] of UNIT_ENDINGS) if (base.endsWith(ending)) return withScale(unit);
  return { unit: null };
}
