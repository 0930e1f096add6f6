// Output that fits the terminal, in a real one: tmux at 60 and at 200 columns, read back with
// capture-pane -J (lines the terminal had to wrap joined again: a line written wider than the
// pane shows as one long line). `watch procs` keeps one frame on screen through many redraws and
// resizes; `check`'s progress, rewritten in place, leaves no fragments behind; a diagnosis'
// long lines are wrapped by rerun-doctor (no line wider than the pane) and every word is there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { displayWidth, loadStringWidth } from '../../src/render/fit.js';
import { CLI, liveScope, PYTHON, runCli, SERVER_DIR, startServer, waitFor, waitListening, freePort } from '../helpers/live.js';
import { terminal, type Terminal } from '../helpers/tmux.js';

// string-width is loaded on demand (src/cli/terminal.ts's loadFit); these tests call fit.ts directly.
await loadStringWidth();

const { tracked, groups, tempDir } = liveScope();
const rd = `${process.execPath} ${CLI}`;

/** Lines of the pane's text wider than its columns: none, when rerun-doctor fitted them. */
function wider(lines: string[], columns: number): string[] {
  return lines.filter((l) => displayWidth(l) > columns);
}

const words = (lines: string[]) => lines.join(' ').split(/\s+/).filter(Boolean);

/** The samples the live view's title counts, on the screen now. */
function samples(t: Terminal): number {
  const m = /(\d+) samples/.exec(t.screen());
  return m ? Number(m[1]) : 0;
}

function oneFrame(t: Terminal, columns: number, when: string): void {
  const screen = t.screen();
  const lines = screen.split('\n');
  assert.equal(screen.split('rerun-doctor watch procs').length - 1, 1, `${when}: one title on screen, no stale copy:\n${screen}`);
  assert.equal(lines.filter((l) => /^role\s+count/.test(l)).length, 1, `${when}: one table heading:\n${screen}`);
  assert.equal(lines.filter((l) => /^sample cost/.test(l)).length, 1, `${when}: one last line:\n${screen}`);
  for (const role of ['server', 'worker', 'helper']) assert.equal(lines.filter((l) => l.startsWith(`${role} `)).length, 1, `${when}: one ${role} row:\n${screen}`);
  // The screen only: the scrollback keeps what was there before a clear, drawn at another width.
  assert.deepEqual(wider(t.screen({ joined: true }).split('\n'), columns), [], `${when}: nothing wider than ${columns} columns`);
}

test('watch procs at 60 columns: one frame after 10 redraws, after a resize to 200, and back to 60', async () => {
  const port = await freePort();
  const s = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  groups.push(s.pgid);
  await waitListening([port]);
  const t = await terminal(`rd-width-watch-${process.pid}`, 60, 40);
  t.run(`env -u NO_COLOR TERM=xterm-256color ${rd} watch procs --interval 200ms --port ${port}`);
  await waitFor(() => samples(t) >= 10, 'ten samples drawn', 20_000);
  oneFrame(t, 60, 'at 60 columns, after 10 redraws');
  // The title (67 columns) is wider than 60: the frame took more rows than lines.
  assert.match(t.screen(), /^rerun-doctor watch procs · every 0\.2s · \d+ samples · Ctrl-C\n {2}to stop$/m, t.screen());
  t.resize(200, 40);
  const at = samples(t);
  await waitFor(() => samples(t) >= at + 3 && /Ctrl-C to stop/.test(t.screen()), 'redraws at 200 columns', 20_000);
  oneFrame(t, 200, 'after a resize to 200 columns');
  t.resize(60, 40);
  const back = samples(t);
  await waitFor(() => samples(t) >= back + 10, 'ten more redraws at 60 columns', 20_000);
  oneFrame(t, 60, 'after a resize back to 60 columns and 10 redraws');
  t.keys('C-c');
  await waitFor(() => t.exit() !== null, 'the watch to end on Ctrl-C');
  assert.equal(t.exit(), 0);
});

for (const columns of [60, 200]) {
  test(`check at ${columns} columns: its progress leaves no fragment; the diagnosis fits and is all there`, async () => {
    const port = await freePort();
    const dir = tempDir('rd-width-check-');
    const saved = join(dir, 'check.json');
    const t = await terminal(`rd-width-check-${columns}-${process.pid}`, columns, 50);
    // --stop kill: the workers are left behind, so the diagnosis has findings with long lines.
    const args = ['check', '--stop', 'kill', '--save', saved, '--port', String(port), '--instances', '2', '--no-metrics', '--hold', '500ms', '--settle', '500ms', '--grace', '3s', '--', PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)];
    t.run(`cd ${SERVER_DIR} && NO_COLOR=1 PYTHONDONTWRITEBYTECODE=1 ${rd} ${args.join(' ')}`);
    await waitFor(() => t.exit() !== null, 'the check to end', 60_000);
    const doc = JSON.parse(readFileSync(saved, 'utf8')) as { ownLeftovers: number[] };
    doc.ownLeftovers.forEach((p) => tracked.add(p));
    assert.equal(t.exit(), 1, t.output().join('\n'));
    const out = t.output();
    // The result starts with its heading: nothing of the progress ("census before…", "starting: …",
    // "holding…", "stopping…") is left on the lines before it, or anywhere.
    assert.match(out[0] ?? '', /^check: /, `the progress cleared, the result from the first line:\n${out.join('\n')}`);
    // (each is a line of its own, so a fragment starts a line: run-check.ts's progress).
    const progress = /^(census before…|starting: |ready in \d+\.\d s$|holding \d|stopping \(|census after…)/;
    assert.deepEqual(out.filter((l) => progress.test(l)), [], `no fragment of the progress:\n${out.join('\n')}`);
    assert.deepEqual(wider(out, columns), [], 'every line of the result fits');
    assert.ok(out.some((l) => /^Verdict: /.test(l)), 'the diagnosis follows');

    // The same diagnosis, replayed to a pipe (lines whole) and on the terminal (lines fitted).
    const pipe = await runCli(['diagnose', '--from', saved]);
    const long = pipe.stdout.split('\n').filter((l) => displayWidth(l) > columns);
    if (columns === 60) assert.ok(long.length > 0, 'the diagnosis has lines wider than 60 columns: the test would prove nothing');
    t.run(`NO_COLOR=1 ${rd} diagnose --from ${saved}`);
    await waitFor(() => t.exit() !== null, 'the diagnosis');
    const shown = t.output();
    assert.deepEqual(wider(shown, columns), [], `no line wider than ${columns} columns:\n${shown.join('\n')}`);
    assert.deepEqual(words(shown), words(pipe.stdout.split('\n')), 'every word of the diagnosis, in order');
    // Wrapped with a hanging indent: a wrapped evidence line's rows go on under its text.
    if (columns === 60) {
      const i = shown.findIndex((l, k) => /^ {6}- /.test(l) && /^ {8}\S/.test(shown[k + 1] ?? ''));
      assert.ok(i >= 0, `an evidence line wrapped under its bullet's text:\n${shown.join('\n')}`);
    }
  });
}
