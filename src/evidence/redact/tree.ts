// Redaction of a structured value (an evidence document, a census) value by value, never of its
// serialised text: a JSON string's escapes (`\"`, `\\`, `\n`) are not there to be mistaken for
// the end of a value, and the result serialises to valid JSON whatever the secrets held. Pure.
import { counter, hide, named, type Counter } from './counter.js';
import { redactArgv } from './argv.js';
import { valueRules } from './text.js';
import { secretValue } from './values.js';

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function walk(value: unknown, c: Counter): unknown {
  if (typeof value === 'string') return valueRules(value, c);
  if (Array.isArray(value)) return value.map((v) => walk(v, c));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'argv' && isArgv(v)) {
      const r = redactArgv(v);
      c.n += r.redactions;
      out[k] = r.argv;
    } else if (typeof v === 'string' && named(c, k)) {
      // A key that names a secret (a metric's `api_key` label, an `HF_TOKEN` environment
      // variable): the whole value goes, whatever it holds.
      out[k] = secretValue(v) ? hide(c) : v;
    } else out[k] = walk(v, c);
  }
  return out;
}

/**
 * Every string of a JSON-like value: an `argv` (an array of strings under that key) element by
 * element (redactArgv); a string under a key that isSecretName accepts (`{"api_key": "…"}`,
 * `{"HF_TOKEN": "…"}`) whole; every other string as one value (the text rules, after the
 * whole-value URL rule). Keys, numbers, booleans and null never change; nor does the shape.
 */
export function redactTree<T>(value: T): { value: T; redactions: number } {
  const c = counter();
  const out = walk(value, c) as T;
  return { value: out, redactions: c.n };
}
