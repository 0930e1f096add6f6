// The built-in default, end to end: the demo finds the orphans it made, then leaves nothing behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, cleanup, freePort, killAndReap, PYTHON, runCli, startServer, waitListening } from '../helpers/live.js';

for (const method of ['spawn', 'forkserver']) {
  test(`rerun-doctor demo (${method}) finds the orphaned workers and tracker, then ends everything`, async () => {
    const r = await runCli(['demo', '--python', PYTHON, '--start-method', method]);
    const m = /main (\d+), workers (\d+), (\d+), resource tracker (\d+)(?:, forkserver (\d+))?/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    const [main, w1, w2, tracker, forkserver] = m.slice(1).map((x) => (x === undefined ? null : Number(x)));
    const pids = [main, w1, w2, tracker, forkserver].filter((p): p is number => p !== null);
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\[2\/5\][\s\S]*no orphans/);
      const orphanCount = method === 'forkserver' ? 4 : 3;
      assert.match(r.stdout, new RegExp(`\\[4/5\\][\\s\\S]*${orphanCount} project processes in 1 run, ${orphanCount} orphans`));
      for (const p of [w1, w2, tracker]) assert.match(r.stdout, new RegExp(`\\b${p} (worker|helper)/\\S+ ppid \\d+ .*ORPHAN`));
      assert.match(r.stdout, /HELD BY AN ORPHAN/);
      assert.match(r.stdout, /Done: \d+ processes ended, nothing left behind/);
      assert.deepEqual(pids.filter(alive), [], 'the demo left nothing running');
    } finally {
      await cleanup(new Set(pids), []);
    }
  });
}

test('rerun-doctor demo counts only its own run when an older, orphaned run of the sample server is beside it', async () => {
  const tracked = new Set<number>();
  const port = await freePort();
  const older = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  await waitListening([port]);
  await killAndReap(older);
  try {
    const r = await runCli(['demo', '--python', PYTHON]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[2\/5\][\s\S]*4 project processes in 1 run, no orphans/);
    assert.match(r.stdout, /\[4\/5\][\s\S]*3 project processes in 1 run, 3 orphans/);
    for (const p of [...older.workers, older.tracker!]) assert.doesNotMatch(r.stdout, new RegExp(`\\b${p} (worker|helper)/`), `the older run's ${p} is not the demo's`);
    for (const p of [...older.workers, older.tracker!]) assert.equal(alive(p), true, `the demo left the older run's ${p} alone`);
  } finally {
    await cleanup(tracked, [older.pgid]);
  }
});
