// "2", "2s", "500ms", "1.5m", "1h" → milliseconds; a bare number is seconds.
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag: string, opts: { minMs?: number } = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag} "${text}" is not a duration: expected a number of seconds or e.g. 500ms, 2s, 5m, 1h`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  const min = opts.minMs ?? 1;
  if (!(ms >= min)) throw new UsageError(`${flag} "${text}" is too short: at least ${min} ms`);
  return ms;
}
