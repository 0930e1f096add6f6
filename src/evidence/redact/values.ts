// Values: which values under a secret name are left alone, and the forms values are written in
// (quoted strings, a YAML or INI line's value). Pure.
import { REDACTED } from './counter.js';

/** Not secrets but references to one: `$HF_TOKEN`, `${HF_TOKEN:-}`, `$(cat /run/secrets/x)`, `%TOKEN%`, `{token}`, `{{ .Values.token }}`, `<your-token>`. */
const REFERENCE_VALUE = /^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-=?+][^}]*)?\}?|\$\([^)]*\)|%[A-Za-z_][A-Za-z0-9_]*%|\{\{?[^{}]*\}?\}|<[^<>]*>)$/;
/** Switch values: `use_auth_token=True`, `"api_key": null`. */
const SWITCH_VALUE = /^(?:true|false|null|none|nil|~)$/i;

/** A value to replace: not empty, not already redacted, not a reference, not a switch. */
export function secretValue(v: string): boolean {
  return v !== '' && !v.includes(REDACTED) && !REFERENCE_VALUE.test(v) && !SWITCH_VALUE.test(v);
}

export const isSpace = (ch: number) => ch === 32 || ch === 9 || ch === 10 || ch === 13;

// Value forms shared by the flag and assignment rules. A quoted value ends at its closing quote,
// never past a line feed; a carriage return inside it is a character of the value (a Prometheus
// label value may hold one unescaped: the exposition format escapes only `\\`, `\"` and `\n`).
export const DQ = String.raw`"((?:[^"\\\n]|\\[^\n])*)"`;
export const SQ = String.raw`'((?:[^'\\\n]|\\[^\n])*)'`;

/** A YAML or INI line value: outer quotes and a trailing ` # comment` stay outside the secret. */
export function unquoteLine(rest: string): { before: string; value: string; after: string } {
  let e = rest.length;
  while (e > 0 && isSpace(rest.charCodeAt(e - 1))) e--;
  const first = rest[0];
  if ((first === '"' || first === "'") && e > 1 && rest[e - 1] === first) {
    return { before: first, value: rest.slice(1, e - 1), after: rest.slice(e - 1) };
  }
  const hash = rest.search(/[ \t]#/);
  if (hash >= 0 && hash < e) e = hash;
  while (e > 0 && isSpace(rest.charCodeAt(e - 1))) e--;
  return { before: '', value: rest.slice(0, e), after: rest.slice(e) };
}

