// One redaction call's state: the marker that replaces a secret, the count of replacements, and
// the name answers cached for the call. A call makes its own counter, so the module keeps no state
// between calls.
//
// Two rules hold everywhere:
// - A redacted value becomes `[REDACTED]` and the key, flag, scheme or URL around it stays, so the
//   evidence still says that a key was passed and how. Each replacement writes exactly one
//   `[REDACTED]` (through hide), and `redactions` counts the replacements.
// - Redacting twice is redacting once: a value that already holds `[REDACTED]` is left alone and
//   not counted again (secretValue in values.ts).
import { isSecretFlagName, isSecretName, isSecretQueryName } from './names.js';

export const REDACTED = '[REDACTED]';

/** Counts replacements for one call. */
export interface Counter {
  n: number;
  /** isSecretName, isSecretFlagName and isSecretQueryName answers, per call: names repeat on nearly every line. */
  names: Map<string, boolean>;
  flagNames: Map<string, boolean>;
  queryNames: Map<string, boolean>;
}

export const counter = (): Counter => ({ n: 0, names: new Map(), flagNames: new Map(), queryNames: new Map() });

export function named(c: Counter, name: string): boolean {
  let v = c.names.get(name);
  if (v === undefined) c.names.set(name, (v = isSecretName(name)));
  return v;
}

export function flagNamed(c: Counter, name: string): boolean {
  let v = c.flagNames.get(name);
  if (v === undefined) c.flagNames.set(name, (v = isSecretFlagName(name)));
  return v;
}

export function queryNamed(c: Counter, name: string): boolean {
  let v = c.queryNames.get(name);
  if (v === undefined) c.queryNames.set(name, (v = isSecretQueryName(name)));
  return v;
}

/** The marker for one replaced value, counted. */
export function hide(c: Counter): string {
  c.n++;
  return REDACTED;
}
