// Text fitted to a terminal's width (src/render/fit.ts): widths as a terminal draws them (CJK and
// emoji two columns, combining marks and escapes none), cuts that keep the colour escapes, wraps
// with a hanging indent that keeps a block readable, and the rows a frame takes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cut, cutText, displayWidth, hangingIndent, physicalRows, stripEscapes, wrapLine, wrapText, loadStringWidth } from '../../src/render/fit.js';
import { makeStyle } from '../../src/render/style.js';

// string-width is loaded on demand (src/cli/terminal.ts's loadFit); these tests call fit.ts directly.
await loadStringWidth();

const s = makeStyle(true);
const widths = (rows: string[]) => rows.map(displayWidth);
/** The words of a text, escapes and breaks aside: what a wrap must keep. */
const words = (t: string) => stripEscapes(t).split(/\s+/).filter(Boolean);

test('display width: wide characters take two columns, escapes and combining marks none', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('日本語'), 6);
  assert.equal(displayWidth('👍'), 2);
  assert.equal(displayWidth('e\u0301'), 1, 'e + combining acute');
  assert.equal(displayWidth(s.red(s.bold('ab'))), 2);
  assert.equal(displayWidth('├─ ▁▂▃ ✖ · …'), 12, 'tree, sparkline and marks: one column each');
});

test('cut: to the width with "…", counting wide characters as two; escapes after the cut kept', () => {
  assert.equal(cut('python -m src.main --workers 4', 12), 'python -m s…');
  assert.equal(cut('short', 12), 'short', 'a line that fits is left alone');
  assert.equal(cut('日本語日本語', 7), '日本語…', 'a wide character is not split: 6 columns and the mark');
  assert.equal(displayWidth(cut('日本語日本語', 8)), 7, 'the 4th character would take columns 7-8: not room for it and "…"');
  const dim = s.dim('python -m src.main --workers 4');
  const c = cut(dim, 10);
  assert.equal(stripEscapes(c), 'python -m…');
  assert.ok(c.endsWith('\u001b[22m'), `the dim is closed after the cut: ${JSON.stringify(c)}`);
  assert.equal(displayWidth(cut(`${s.red('ORPHAN')} ${'x'.repeat(50)}`, 20)), 20);
  assert.equal(cutText('abcdef\nab\n', 4), 'abc…\nab\n');
});

test('hanging indent: under a bullet, a label, a tree line, a second column; else two in', () => {
  assert.equal(hangingIndent('      - pid 4242 holds :50051'), 8);
  assert.equal(hangingIndent('    fix: end the orphans'), 9);
  assert.equal(hangingIndent('Verdict: 2 problems'), 9);
  assert.equal(hangingIndent('  │  ├─ 4242 worker/tokenizer ppid 1'), 10, "under the pid's text, two further in");
  assert.equal(hangingIndent('  └─ 4243 worker'), 7);
  assert.equal(hangingIndent('  --port P               the port'), 25, "a help line: in the help's column");
  assert.equal(hangingIndent('✖ error  orphan-port-holder  An orphan holds'), 9, "a finding's heading: under its id");
  assert.equal(hangingIndent('  plain text without structure'), 4);
});

test('wrap: rows fit the width, continuation rows hang, every word is kept', () => {
  const line = '    fix: end the orphaned processes with rerun-doctor clean, then restart the server so that it binds the port alone';
  const rows = wrapLine(line, 40);
  assert.ok(rows.length >= 3, JSON.stringify(rows));
  assert.ok(widths(rows).every((w) => w <= 40), JSON.stringify(rows));
  assert.equal(rows[0]!.slice(0, 9), '    fix: ');
  for (const r of rows.slice(1)) assert.match(r, /^ {9}\S/, `under the text after "fix: ": ${JSON.stringify(r)}`);
  assert.deepEqual(words(rows.join('\n')), words(line));
  assert.deepEqual(wrapLine('fits', 40), ['fits']);
});

test('wrap: colour escapes are all kept, in order, and take no room', () => {
  const line = `${s.red('✖ error')}  ${s.bold('orphan-port-holder')}  An orphaned worker still holds the gRPC port: a rerun shares traffic ${s.dim('[/proc/4242/stat]')}`;
  const rows = wrapLine(line, 36);
  assert.ok(widths(rows).every((w) => w <= 36), JSON.stringify(rows));
  const escapes = (t: string) => t.match(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g')) ?? [];
  assert.deepEqual(escapes(rows.join('\n')), escapes(line));
  assert.deepEqual(words(rows.join('\n')), words(line));
  for (const r of rows.slice(1)) assert.match(stripEscapes(r), /^ {9}\S/);
});

test('wrap: wide characters and a word longer than a row are broken where the row ends', () => {
  const cjk = '日本語の文字列はとても長いですね、日本語の文字列はとても長いですね';
  const rows = wrapLine(cjk, 20);
  assert.ok(widths(rows).every((w) => w <= 20), JSON.stringify(rows));
  assert.equal(rows.map((r) => r.trim()).join(''), cjk);
  const long = `see ${'x'.repeat(70)} there`;
  const lr = wrapLine(long, 30);
  assert.ok(widths(lr).every((w) => w <= 30), JSON.stringify(lr));
  assert.equal(lr.map((r) => r.trim()).join('').replace(/\s/g, ''), long.replace(/\s/g, ''));
});

test('wrap: a deep indent on a narrow terminal hangs at most half the width; 1 column still terminates', () => {
  const rows = wrapLine(`${' '.repeat(30)}- ${'word '.repeat(20)}`, 40);
  assert.ok(widths(rows).every((w) => w <= 40), JSON.stringify(rows));
  for (const r of rows.slice(1)) assert.match(r, /^ {20}\S/);
  const tiny = wrapLine('abc def', 1);
  assert.ok(widths(tiny).every((w) => w <= 1) && tiny.join('').replace(/\s/g, '') === 'abcdef', JSON.stringify(tiny));
});

test("wrapText: each line on its own; the text's last newline kept; blank lines stay", () => {
  const t = `Verdict: ${'a '.repeat(30)}\n\n  - ${'b '.repeat(30)}\n`;
  const w = wrapText(t, 30);
  assert.ok(w.endsWith('\n') && !w.endsWith('\n\n'), 'one last newline');
  assert.ok(w.split('\n').every((l) => displayWidth(l) <= 30), w);
  assert.match(w, /\n\n {2}- b/);
});

test('physical rows: width over the columns, rounded up; an empty line is a row; none after the last newline', () => {
  assert.equal(physicalRows('abc\n', 60), 1);
  assert.equal(physicalRows(`${'x'.repeat(60)}\n`, 60), 1, 'exactly the width: one row');
  assert.equal(physicalRows(`${'x'.repeat(61)}\n`, 60), 2);
  assert.equal(physicalRows(`abc\n${'x'.repeat(130)}\n\n`, 60), 5);
  assert.equal(physicalRows(`${'日'.repeat(31)}\n`, 60), 2, '62 columns');
  assert.equal(physicalRows(`${s.bold('x'.repeat(60))}\n`, 60), 1, 'escapes take no room');
});
