// rerun --html FILE with the sample server stopped as an IDE does (SIGKILL): the page has the
// runs, their leftovers by pid, the time to ready and leftovers charted. Leftovers are ended by
// pid after the test (liveScope), and it fails if one survives.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, liveScope, PYTHON, runCli, SERVER_DIR } from '../helpers/live.js';

const { tracked, tempDir } = liveScope();

test('rerun -n 2 --stop kill --html: the page holds both runs, their leftovers and the charts', async () => {
  const port = await freePort();
  const html = join(tempDir('rd-rerun-html-'), 'reruns.html');
  const r = await runCli(['rerun', '-n', '2', '--json', '--html', html, '--stop', 'kill', '--port', String(port), '--instances', '2', '--no-metrics', '--hold', '200ms', '--settle', '500ms', '--grace', '3s', '--', PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)], { cwd: SERVER_DIR, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  const j = JSON.parse(r.stdout) as { runs: Array<{ serverPid: number; leftBehind: Array<{ pid: number }> }> };
  for (const run of j.runs) {
    tracked.add(run.serverPid);
    run.leftBehind.forEach((p) => tracked.add(p.pid));
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /report written to .*reruns\.html/);
  const page = readFileSync(html, 'utf8');
  assert.equal(j.runs.length, 2);
  for (const p of j.runs.flatMap((x) => x.leftBehind)) assert.match(page, new RegExp(`<code data-pid="${p.pid}">${p.pid}</code>`));
  assert.match(page, /LEAK: 6 processes left behind over 2 runs/);
  assert.match(page, /data-chart-kind="rerun-ready"/);
  assert.match(page, /data-chart-kind="rerun-leftovers"/);
  // A second run never writes over the page.
  const again = await runCli(['rerun', '-n', '2', '--html', html, '--', PYTHON, '-m', 'src.main'], { cwd: SERVER_DIR });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /--html ".*reruns\.html" exists/);
});
