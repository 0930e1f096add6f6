// Rule 6 of the text rules (text.ts): command-line flags in text, in JSON or Python lists and in
// YAML lists; and secretFlag, which argv.ts shares. Pure.
import { flagNamed, hide, type Counter } from './counter.js';
import { DQ, secretValue, SQ, unquoteLine } from './values.js';

/**
 * 6. Command-line flags in text (ps lines, logs, shell scripts): `--api-key=x`, `--api-key x`,
 * `--api-key "x"`, Go-style `-token x`. A single letter (`-p`) is never taken: `-p` is a port,
 * a password or a path depending on the program. The value after a space must not start with
 * `-`: that is the next flag, and the flag before it a switch (`--auth --port 50051`).
 */
const FLAG_IN_TEXT = new RegExp(
  String.raw`(?<!\S)(--?)([A-Za-z][A-Za-z0-9_.-]*)(?:=(?:${DQ}|${SQ}|([^\s"']+))|([ \t]+)(?:${DQ}|${SQ}|([^\s"'-][^\s"']*)))`,
  'g',
);

/** A flag whose value is a secret: isSecretFlagName, and never a single letter after one dash. */
export function secretFlag(c: Counter, dashes: string, name: string): boolean {
  return !(dashes.length === 1 && name.length === 1) && flagNamed(c, name);
}

export function flagsInText(text: string, c: Counter): string {
  return text.replace(FLAG_IN_TEXT, (all, dashes: string, name: string, eqD?: string, eqS?: string, eqU?: string, ws?: string, spD?: string, spS?: string, spU?: string) => {
    if (!secretFlag(c, dashes, name)) return all;
    const value = eqD ?? eqS ?? eqU ?? spD ?? spS ?? spU ?? '';
    if (!secretValue(value)) return all;
    const q = eqD !== undefined || spD !== undefined ? '"' : eqS !== undefined || spS !== undefined ? "'" : '';
    return `${dashes}${name}${ws ?? '='}${q}${hide(c)}${q}`;
  });
}

/** A flag and its value as two items of a JSON or Python list: `["--api-key", "x"]` (docker inspect's Cmd and Args, Kubernetes JSON). */
const FLAG_IN_LIST = /(["'])(--?[A-Za-z][A-Za-z0-9_.-]*)\1(\s*,\s*)(?:"((?:[^"\\\n]|\\[^\n])*)"|'((?:[^'\\\n]|\\[^\n])*)')/g;

export function flagsInLists(text: string, c: Counter): string {
  return text.replace(FLAG_IN_LIST, (all, q1: string, flag: string, sep: string, dq?: string, sq?: string) => {
    const dashes = flag.startsWith('--') ? '--' : '-';
    const value = dq ?? sq ?? '';
    if (!secretFlag(c, dashes, flag.slice(dashes.length)) || value.startsWith('-') || !secretValue(value)) return all;
    const q2 = dq !== undefined ? '"' : "'";
    return `${q1}${flag}${q1}${sep}${q2}${hide(c)}${q2}`;
  });
}

/** A flag and its value as two items of a YAML list (a Kubernetes container's `args:`). */
const FLAG_IN_YAML_LIST = /^([ \t]*-[ \t]+)(["']?)(--?[A-Za-z][A-Za-z0-9_.-]*)\2([ \t]*\r?\n[ \t]*-[ \t]+)([^\r\n]*)/gm;

export function flagsInYamlLists(text: string, c: Counter): string {
  return text.replace(FLAG_IN_YAML_LIST, (all, lead: string, q1: string, flag: string, sep: string, rest: string) => {
    const dashes = flag.startsWith('--') ? '--' : '-';
    if (!secretFlag(c, dashes, flag.slice(dashes.length))) return all;
    const v = unquoteLine(rest);
    if (v.value.startsWith('-') || !secretValue(v.value)) return all;
    return `${lead}${q1}${flag}${q1}${sep}${v.before}${hide(c)}${v.after}`;
  });
}
