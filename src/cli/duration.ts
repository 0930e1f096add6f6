// "2", "2s", "500ms", "1.5m", "1h" → milliseconds; a bare number is seconds.
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration a flag takes: 24 days. Node's timers hold at most 2^31-1 ms (24.8 days); a
 * longer one fires at once, with a warning, so a longer value would mean "now", not "never".
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;

export function parseDuration(text: string, flag: string, opts: { minMs?: number } = {}): number {
  const min = opts.minMs ?? 1;
  if (/^\s*-/.test(text)) throw new UsageError(`${flag} "${text}": expected a ${min > 0 ? 'positive duration' : 'duration ≥ 0'} like 2s or 500ms`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag} "${text}" is not a duration: expected a number of seconds or e.g. 500ms, 2s, 5m, 1h`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (!(ms >= min)) throw new UsageError(`${flag} "${text}" is too short: at least ${min} ms`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${flag} "${text}" is too long: at most 24 days (576h)`);
  return ms;
}
