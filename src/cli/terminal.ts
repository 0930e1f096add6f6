// How output meets the terminal, decided in one place: whether it is coloured, and the width
// text is fitted to (docs/output.md).
//
// Colour, first rule that applies wins:
//   1. --color / --no-color on the command line;
//   2. FORCE_COLOR: 0 or false = off; 1, 2, 3 or true = on (other values, and empty, are ignored);
//   3. NO_COLOR set and not empty = off (https://no-color.org);
//   4. TERM=dumb = off;
//   5. on when stdout is a terminal, else off.
// FORCE_COLOR wins over NO_COLOR as in Node itself (its docs: "FORCE_COLOR … takes precedence
// over NO_COLOR"): a CI that forces colour on means it.
//
// Width: stdout's columns when it is a terminal, else $COLUMNS when it is a whole number > 0,
// else none: output to a pipe or a file is written as it is, lines whole (grep, diff and the
// snapshot tests see what they always saw). The fitting itself (src/render/fit.ts, with
// string-width) is loaded only when a line may not fit.
import { UsageError } from '../model/errors.js';
import { cliImport } from './code-cache.js';

/** What this module reads of the command's Io (io.ts imports this module: no cycle). */
interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  columns: number | undefined;
  size?: () => { columns: number | undefined; rows: number | undefined };
}

export interface ColorInput {
  /** --color (true), --no-color (false), neither (null). */
  flag: boolean | null;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

/** What FORCE_COLOR says: on, off, or nothing (unset, empty, or a value it does not take). */
export function forceColor(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  if (v === '0' || v === 'false') return false;
  if (v === '1' || v === '2' || v === '3' || v === 'true') return true;
  return null;
}

/** The one colour decision (the rules above). */
export function decideColor(i: ColorInput): boolean {
  if (i.flag !== null) return i.flag;
  const forced = forceColor(i.env.FORCE_COLOR);
  if (forced !== null) return forced;
  if (i.env.NO_COLOR !== undefined && i.env.NO_COLOR !== '') return false;
  if (i.env.TERM === 'dumb') return false;
  return i.isTTY;
}

/** --color or --no-color as parsed (both at once is a usage error), or null. */
export function colorFlag(values: { color?: boolean; 'no-color'?: boolean } | undefined): boolean | null {
  if (values === undefined) return null;
  if (values.color === true && values['no-color'] === true) throw new UsageError('--color and --no-color: give one of them, not both');
  if (values.color === true) return true;
  if (values['no-color'] === true) return false;
  return null;
}

/** The width output is fitted to now (the rules above), or null: none. */
export function outputWidth(io: Omit<Io, 'stdout' | 'stderr'>): number | null {
  if (io.isTTY) {
    const columns = io.size?.().columns ?? io.columns;
    if (columns !== undefined && columns > 0) return columns;
  }
  const env = io.env.COLUMNS;
  if (env !== undefined && /^\d+$/.test(env.trim()) && Number(env) > 0) return Number(env);
  return null;
}

export type Fit = typeof import('../render/fit.js');

/** The fitting helpers (string-width with them). */
export async function loadFit(): Promise<Fit> {
  const fit = await import('../render/fit.js');
  await fit.loadStringWidth(cliImport);
  return fit;
}

// Code points that are one column wide for certain (string-width counts East Asian ambiguous
// ones as narrow, as terminals do by default): below U+1100 (where the first wide ones start),
// dashes and quotes, arrows, box drawing and block elements (trees, sparklines), ✖.
function surelyNarrow(cp: number): boolean {
  return cp < 0x1100 || (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2190 && cp <= 0x21ff) || (cp >= 0x2500 && cp <= 0x259f) || cp === 0x2716;
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/**
 * Whether every line of the text surely fits `width` columns, without loading string-width:
 * each line's characters, escapes left out, are no more than the width and all surely narrow
 * (a combining mark counts one here and none on screen: a line it pushes over is fitted).
 */
export function surelyFits(text: string, width: number): boolean {
  for (const line of text.split('\n')) {
    if (line.length <= width && !line.includes('\u001b') && /^[\x20-\x7e]*$/.test(line)) continue;
    let n = 0;
    for (const ch of line.replace(ESCAPES, '')) {
      if (!surelyNarrow(ch.codePointAt(0)!)) return false;
      if (++n > width) return false;
    }
  }
  return true;
}

/**
 * Text for people, fitted to the output's width: each line longer than the width wrapped with a
 * hanging indent (src/render/fit.ts). With no width (a pipe, a file), or when it fits, as it is.
 */
export async function fitted(io: Io, text: string): Promise<string> {
  const width = outputWidth(io);
  if (width === null || surelyFits(text, width)) return text;
  return (await loadFit()).wrapText(text, width);
}

/** io.stdout, with the text fitted (fitted). */
export async function writeText(io: Io, text: string): Promise<void> {
  io.stdout(await fitted(io, text));
}

/**
 * A progress line rewritten in place (`\r`, clear to the end of the line): cut to the width less
 * one column, so it never wraps (a wrapped line leaves its first rows behind when the next one
 * is drawn), and never reaches the last column (where some terminals wrap at once).
 */
export function progressLine(fit: Fit | null, io: Omit<Io, 'stdout' | 'stderr'>, line: string): string {
  const width = outputWidth(io);
  return `\r\u001b[K${fit !== null && width !== null ? fit.cut(line, width - 1) : line}`;
}

/**
 * io.stdout (or io.stderr) for a command that writes text for people in several parts (clean,
 * demo, rerun's progress): each part fitted as `fitted` fits it, the fitting loaded once, up front, when there
 * is a width at all.
 */
export async function textWriter(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): Promise<(text: string) => void> {
  const write = io[stream];
  if (outputWidth(io) === null) return write;
  const fit = await loadFit();
  return (text) => {
    const width = outputWidth(io);
    write(width === null || surelyFits(text, width) ? text : fit.wrapText(text, width));
  };
}
