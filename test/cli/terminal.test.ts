// The one decision about the terminal (src/cli/terminal.ts): colour from the flag, FORCE_COLOR,
// NO_COLOR, TERM and the TTY, in that order; the width text is fitted to; and commands that
// take --color / --no-color honour them (through main, as a user runs them).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { useColor } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { COMMAND_NAMES, COMMANDS } from '../../src/cli/registry.js';
import { colorFlag, decideColor, fitted, forceColor, outputWidth, progressLine, surelyFits, loadFit } from '../../src/cli/terminal.js';
import { displayWidth, stripEscapes, loadStringWidth } from '../../src/render/fit.js';

// string-width is loaded on demand (src/cli/terminal.ts's loadFit); these tests call fit.ts directly.
await loadStringWidth();

const cwd = mkdtempSync(join(tmpdir(), 'rd-terminal-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

test('FORCE_COLOR: 0 and false are off; 1, 2, 3 and true are on; unset, empty or another value say nothing', () => {
  for (const v of ['0', 'false', 'FALSE']) assert.equal(forceColor(v), false, v);
  for (const v of ['1', '2', '3', 'true']) assert.equal(forceColor(v), true, v);
  for (const v of [undefined, '', 'yes', '4']) assert.equal(forceColor(v), null, String(v));
});

test('the colour decision, every combination: flag, then FORCE_COLOR, then NO_COLOR, then TERM=dumb, then the TTY', () => {
  const flags = [true, false, null] as const;
  const forces = [undefined, '0', '1'] as const;
  const nos = [undefined, '', '1'] as const;
  const terms = ['xterm-256color', 'dumb'] as const;
  for (const flag of flags)
    for (const FORCE_COLOR of forces)
      for (const NO_COLOR of nos)
        for (const TERM of terms)
          for (const isTTY of [true, false]) {
            const env: NodeJS.ProcessEnv = { TERM };
            if (FORCE_COLOR !== undefined) env.FORCE_COLOR = FORCE_COLOR;
            if (NO_COLOR !== undefined) env.NO_COLOR = NO_COLOR;
            const expected = flag !== null ? flag : FORCE_COLOR !== undefined ? FORCE_COLOR === '1' : NO_COLOR === '1' ? false : TERM === 'dumb' ? false : isTTY;
            assert.equal(decideColor({ flag, env, isTTY }), expected, JSON.stringify({ flag, FORCE_COLOR, NO_COLOR, TERM, isTTY }));
          }
});

test('--color and --no-color: each wins over the environment; both at once is a usage error naming them', () => {
  assert.equal(colorFlag(undefined), null);
  assert.equal(colorFlag({}), null);
  assert.equal(colorFlag({ color: true }), true);
  assert.equal(colorFlag({ 'no-color': true }), false);
  assert.throws(() => colorFlag({ color: true, 'no-color': true }), /--color and --no-color: give one of them, not both/);
  const io = (env: NodeJS.ProcessEnv, isTTY: boolean): Io => ({ stdout: () => {}, stderr: () => {}, env, isTTY, cwd, columns: 80 });
  assert.equal(useColor(io({ NO_COLOR: '1' }, false), { color: true }), true);
  assert.equal(useColor(io({ FORCE_COLOR: '3' }, true), { 'no-color': true }), false);
  assert.equal(useColor(io({}, true)), true);
  assert.equal(useColor(io({ NO_COLOR: '1' }, true)), false);
});

test('the width: the columns of a terminal (as they are now), else $COLUMNS, else none', () => {
  const base = { env: {}, isTTY: true, columns: 120 };
  assert.equal(outputWidth(base), 120);
  assert.equal(outputWidth({ ...base, size: () => ({ columns: 60, rows: 20 }) }), 60, 'after a resize: the size now');
  assert.equal(outputWidth({ ...base, env: { COLUMNS: '70' } }), 120, "a terminal's own columns over $COLUMNS");
  assert.equal(outputWidth({ env: { COLUMNS: '70' }, isTTY: false, columns: undefined }), 70);
  for (const bad of ['', '0', '-5', 'wide', '80x'])
    assert.equal(outputWidth({ env: { COLUMNS: bad }, isTTY: false, columns: undefined }), null, JSON.stringify(bad));
  assert.equal(outputWidth({ env: {}, isTTY: false, columns: 100 }), null, 'a pipe: no width, whatever columns says');
});

test('surelyFits: ASCII and the narrow marks by count; anything that may be wide asks string-width', () => {
  assert.equal(surelyFits('abc\ndef', 3), true);
  assert.equal(surelyFits('abcd', 3), false);
  assert.equal(surelyFits('\u001b[1mabc\u001b[22m', 3), true, 'escapes take no room');
  assert.equal(surelyFits('├─ ▁▂▃ ✖ …', 10), true);
  assert.equal(surelyFits('日本', 10), false, 'may be wide: not sure');
});

test('fitted: a pipe gets the text as it is; a terminal or $COLUMNS gets it wrapped', async () => {
  const long = `    fix: ${'word '.repeat(30)}\n`;
  const io = (over: Partial<Io>): Io => ({ stdout: () => {}, stderr: () => {}, env: {}, isTTY: false, cwd, columns: undefined, ...over });
  assert.equal(await fitted(io({}), long), long);
  for (const w of [await fitted(io({ isTTY: true, columns: 60 }), long), await fitted(io({ env: { COLUMNS: '60' } }), long)]) {
    assert.notEqual(w, long);
    assert.ok(w.split('\n').every((l) => displayWidth(l) <= 60), w);
    assert.equal(w.replace(/\s+/g, ' ').trim(), long.replace(/\s+/g, ' ').trim());
  }
});

test('a progress line is cut to the width less one, after a carriage return and clear-line', async () => {
  const fit = await loadFit();
  const io = { env: {}, isTTY: true, columns: 40 };
  const p = progressLine(fit, io, `waiting for ports 50051, 8080 to listen (${'x'.repeat(60)})`);
  assert.ok(p.startsWith('\r\u001b[K'), 'back to the line start, the line cleared');
  assert.equal(displayWidth(stripEscapes(p.slice(4))), 39);
  assert.equal(progressLine(null, io, 'short'), '\r\u001b[Kshort');
});

test('every command that colours takes --color and --no-color; --color colours a pipe, --no-color beats FORCE_COLOR', async () => {
  const colouring = ['diagnose', 'explain', 'ports', 'procs', 'count', 'metrics', 'watch', 'clean', 'check', 'rerun', 'demo'];
  for (const name of COMMAND_NAMES) {
    const spec = (await COMMANDS[name].load()).spec;
    if (!colouring.includes(name)) continue;
    assert.equal(spec.allFlags.color?.type, 'boolean', `${name} --color`);
    assert.equal(spec.allFlags['no-color']?.type, 'boolean', `${name} --no-color`);
  }
  const run = async (args: string[], env: NodeJS.ProcessEnv) => {
    let out = '';
    let err = '';
    const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { PATH: process.env.PATH, ...env }, isTTY: false, cwd, columns: undefined };
    const code = await main(args, io);
    return { code, out, err };
  };
  const sgr = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`);
  // explain ID prints a rule's page; explain with --from a document would need one: `diagnose` of a pipe is the real case.
  const plain = await run(['diagnose', '--quick', '--no-metrics'], {});
  assert.doesNotMatch(plain.out, sgr, 'a pipe: no colour');
  const forced = await run(['diagnose', '--quick', '--no-metrics', '--color'], { NO_COLOR: '1' });
  assert.match(forced.out, sgr, '--color over NO_COLOR');
  const env = await run(['diagnose', '--quick', '--no-metrics'], { FORCE_COLOR: '1' });
  assert.match(env.out, sgr, 'FORCE_COLOR=1 on a pipe');
  const off = await run(['diagnose', '--quick', '--no-metrics', '--no-color'], { FORCE_COLOR: '1' });
  assert.doesNotMatch(off.out, sgr, '--no-color over FORCE_COLOR');
  const both = await run(['diagnose', '--color', '--no-color'], {});
  assert.equal(both.code, 2);
  assert.equal(both.err, 'rerun-doctor: --color and --no-color: give one of them, not both\n');
});
