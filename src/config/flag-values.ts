// A flag's text as the value of the config key it overrides (schema.ts, `parse`). The value is
// then checked as a file's would be (applyOverrides); what fails here is text that is no value
// at all, reported as the command line's, naming the flag.
import { ConfigError } from './errors.js';

/** "8080", ":8080", "50051,8080" (and repeated flags) → unique ports, in order. */
export function parsePortList(values: readonly string[], what: string): number[] {
  const out: number[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim().replace(/^:/, '');
      const n = Number(t);
      if (t === '' || !Number.isInteger(n) || n < 1 || n > 65535) {
        throw new ConfigError('command line', null, `${what} "${part}" is not a port: expected an integer 1-65535`);
      }
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

export function parseCount(v: string, what: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new ConfigError('command line', null, `${what} "${v}" is not a count: expected an integer ≥ 0`);
  return n;
}

/** --metrics-url and a URL argument: only http:// and https:// are read (as "metrics-url" in a file). */
export function parseUrl(v: string, what: string): string {
  let u: URL | null;
  try {
    u = new URL(v);
  } catch {
    u = null;
  }
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new ConfigError('command line', null, `${what} "${v}": expected an http:// or https:// URL, e.g. http://127.0.0.1:8080/metrics`);
  }
  return v;
}
