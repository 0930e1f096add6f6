// The built-in default, end to end: the demo finds the orphans it made, then leaves nothing behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, cleanup, PYTHON, runCli } from '../helpers/live.js';

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
