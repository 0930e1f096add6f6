// Text that fits a terminal's width: the display width of a line (wide CJK and emoji take two
// columns, combining marks and ANSI escapes none: string-width), a line cut to a width with "…",
// and a line wrapped at spaces with a hanging indent that keeps a block's structure readable
// (a bullet's text under its text, "fix: …" under its text, a tree's line under its pid, a help
// line's text in its column). Loaded only when output goes to a width (src/cli/terminal.ts):
// string-width costs about 30 ms to load, and piped output is never fitted.
// Loaded by loadStringWidth() (src/cli/terminal.ts's loadFit calls it), not by a static import:
// once bundled (scripts/bundle.mjs) a static import of a package would be loaded by every command
// at start, and a top-level await has no place in the CommonJS bundles.
let stringWidthFn: ((s: string) => number) | null = null;

/**
 * Loads string-width; every function here needs it loaded first. `importer`: the CLI's (a bundle
 * run from its code cache has no import() of its own: src/cli/code-cache.ts); default this module's.
 */
export async function loadStringWidth(importer: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<void> {
  stringWidthFn ??= ((await importer('string-width')) as typeof import('string-width')).default;
}

function stringWidth(s: string): number {
  if (!stringWidthFn) throw new Error('render/fit: string-width is not loaded (call loadStringWidth() first)');
  return stringWidthFn(s);
}

// CSI (colours, cursor moves), OSC (titles, hyperlinks: ended by BEL or ST), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

const segmenter = new Intl.Segmenter();

interface Token {
  /** The grapheme, or the escape sequence. */
  text: string;
  /** Columns it takes: 0 for an escape. */
  width: number;
  escape: boolean;
}

function graphemeWidth(g: string): number {
  // Printable ASCII, the common case, without the full lookup.
  if (g.length === 1) {
    const c = g.charCodeAt(0);
    if (c >= 0x20 && c < 0x7f) return 1;
  }
  return stringWidth(g);
}

function tokens(line: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  const text = (s: string) => {
    for (const { segment } of segmenter.segment(s)) out.push({ text: segment, width: graphemeWidth(segment), escape: false });
  };
  for (const m of line.matchAll(ESCAPE)) {
    if (m.index > at) text(line.slice(at, m.index));
    out.push({ text: m[0], width: 0, escape: true });
    at = m.index + m[0].length;
  }
  if (at < line.length) text(line.slice(at));
  return out;
}

/** Columns a line takes on a terminal (no newline in it). */
export function displayWidth(line: string): number {
  return stringWidth(line);
}

/** The line without its escape sequences. */
export function stripEscapes(line: string): string {
  return line.replace(ESCAPE, '');
}

/**
 * The line cut to `width` columns, its last one "…" when something was cut. Escapes after the
 * cut are kept (without their text), so a colour opened before the cut is still closed.
 */
export function cut(line: string, width: number): string {
  if (width <= 0) return tokens(line).filter((t) => t.escape).map((t) => t.text).join('');
  if (displayWidth(line) <= width) return line;
  let used = 0;
  let out = '';
  let cutting = false;
  for (const t of tokens(line)) {
    if (t.escape) out += t.text;
    else if (!cutting && used + t.width <= width - 1) {
      out += t.text;
      used += t.width;
    } else if (!cutting) {
      cutting = true;
      out += '…';
    }
  }
  return out;
}

/**
 * Where a wrapped line's continuation rows start, from its plain text:
 * - a tree's line (`  ├─ 4242 worker/…`): under the pid, two further in;
 * - a bullet (`- `, `* `, `• `, `↳ `): under the bullet's text;
 * - a label (`fix: `, `next: `, `Verdict: `): under the text after it;
 * - columns (`  --port P      the port…`, `✖ error  rule-id  title`): under the second column;
 * - else two columns in from the line's own indent.
 */
export function hangingIndent(plain: string): number {
  const lead = /^ */.exec(plain)![0].length;
  const rest = plain.slice(lead);
  const tree = /^(?:[│ ] {2})*[├└]─ /.exec(rest);
  if (tree) return lead + stringWidth(tree[0]) + 2;
  const bullet = /^[-*•↳] /.exec(rest);
  if (bullet) return lead + 2;
  const label = /^[A-Za-z][\w -]{0,18}: (?=\S)/.exec(rest);
  if (label && !/\s{2}/.test(label[0])) return lead + label[0].length;
  const column = /^\S+(?: \S+)*? {2,}(?=\S)/.exec(rest);
  if (column) return lead + stringWidth(column[0]);
  return lead + 2;
}

/**
 * The line in rows of at most `width` columns, broken at spaces; the continuation rows indented
 * (hangingIndent, at most half the width). A word longer than a row is broken where the row ends.
 * Spaces at a break are dropped; escapes are all kept, in order (a colour goes on across rows, as
 * the terminal keeps it across a newline: the styles used here colour text, never a background,
 * so the indent stays blank).
 */
export function wrapLine(line: string, width: number): string[] {
  if (width < 1 || displayWidth(line) <= width) return [line];
  const all = tokens(line);
  const plain = all.filter((t) => !t.escape).map((t) => t.text).join('');
  const hang = Math.min(hangingIndent(plain), Math.floor(width / 2));
  // The line's own indent, kept on its first row (up to the hanging indent on a narrow terminal).
  const lead = /^ */.exec(plain)![0].length;
  const keep = Math.min(lead, hang);
  const rows: string[] = [];
  let row = '';
  let i = 0;
  for (let spaces = 0; i < all.length && spaces < lead; i++) {
    const t = all[i]!;
    if (t.escape) row += t.text;
    else {
      if (spaces < keep) row += t.text;
      spaces++;
    }
  }
  let used = keep;
  // Words (with the escapes inside or right after them) and the space runs between them.
  type Piece = { text: string; width: number; space: boolean; escapes: string };
  const pieces: Piece[] = [];
  for (; i < all.length; i++) {
    const t = all[i]!;
    const last = pieces[pieces.length - 1];
    if (t.escape) {
      if (last) {
        last.text += t.text;
        if (last.space) last.escapes += t.text;
      } else pieces.push({ text: t.text, width: 0, space: false, escapes: '' });
      continue;
    }
    const space = t.text === ' ';
    if (last && last.space === space) {
      last.text += t.text;
      last.width += t.width;
    } else pieces.push({ text: t.text, width: t.width, space, escapes: '' });
  }
  let words = 0;
  const newRow = () => {
    rows.push(row.trimEnd());
    row = ' '.repeat(hang);
    used = hang;
    words = 0;
  };
  let pendingSpace: Piece | null = null;
  for (const p of pieces) {
    if (p.space) {
      pendingSpace = p;
      continue;
    }
    const gap = pendingSpace && words > 0 ? pendingSpace.width : 0;
    if (used + gap + p.width <= width) {
      if (gap > 0) row += pendingSpace!.text;
      else if (pendingSpace) row += pendingSpace.escapes;
      row += p.text;
      used += gap + p.width;
      words++;
    } else if (p.width <= width - hang) {
      if (pendingSpace) row += pendingSpace.escapes;
      newRow();
      row += p.text;
      used += p.width;
      words++;
    } else {
      // Longer than any row: fill this row, then break it where each row ends.
      if (gap > 0 && used + gap < width) {
        row += pendingSpace!.text;
        used += gap;
      } else if (pendingSpace) row += pendingSpace.escapes;
      if (used >= width) newRow();
      for (const t of tokens(p.text)) {
        if (t.escape) {
          row += t.text;
          continue;
        }
        if (used + t.width > width) newRow();
        row += t.text;
        used += t.width;
      }
      words++;
    }
    pendingSpace = null;
  }
  if (pendingSpace) row += pendingSpace.escapes;
  rows.push(row.trimEnd());
  return rows;
}

/** Every line of a text wrapped to `width` (wrapLine); the text's last newline kept. */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, width))
    .join('\n');
}

/** Every line of a text cut to `width` (cut); the text's last newline kept. */
export function cutText(text: string, width: number): string {
  return text
    .split('\n')
    .map((l) => cut(l, width))
    .join('\n');
}

/**
 * The rows a text takes on a terminal `columns` wide: each line takes its width over the
 * columns, rounded up, and an empty line one row; after the text's last newline, nothing.
 */
export function physicalRows(text: string, columns: number): number {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.reduce((n, l) => n + Math.max(1, Math.ceil(displayWidth(l) / Math.max(1, columns))), 0);
}
