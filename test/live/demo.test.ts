// The built-in default, end to end: the demo diagnoses the orphans it made, shows the plan clean
// would carry out for them, then leaves nothing behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { alive, cleanup, CLI, freePort, killAndReap, PYTHON, runCli, startServer, waitFor, waitListening } from '../helpers/live.js';

/** The demo's output of step N (from its "[N/6]" header to the next one). */
function step(stdout: string, n: number): string {
  const from = stdout.indexOf(`[${n}/6]`);
  assert.ok(from >= 0, `the demo shows step ${n}/6:\n${stdout}`);
  const to = stdout.indexOf(`[${n + 1}/6]`, from);
  return stdout.slice(from, to < 0 ? undefined : to);
}

for (const method of ['spawn', 'forkserver']) {
  test(`rerun-doctor demo (${method}) diagnoses the orphaned workers and tracker, shows clean's plan for exactly them, then ends everything`, async () => {
    const r = await runCli(['demo', '--python', PYTHON, '--start-method', method]);
    const m = /main (\d+), workers (\d+), (\d+), resource tracker (\d+)(?:, forkserver (\d+))?/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    const [main, w1, w2, tracker, forkserver] = m.slice(1).map((x) => (x === undefined ? null : Number(x)));
    const pids = [main, w1, w2, tracker, forkserver].filter((p): p is number => p !== null);
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.match(step(r.stdout, 2), /no orphans/);
      const helpers = method === 'forkserver' ? 2 : 1;
      // The diagnosis, as the default command prints it: the verdict first, then the finding.
      const diagnosis = step(r.stdout, 4);
      assert.match(diagnosis, new RegExp(`Verdict: 1 problem: 2 orphaned workers and ${helpers} helpers? from run 1, still holding :\\d+`));
      assert.match(diagnosis, /error {2}orphan-workers/);
      for (const p of [w1, w2, tracker]) assert.match(diagnosis, new RegExp(`- pid ${p} \\((worker|helper)/`), `the finding names ${p}`);
      // clean --dry-run's plan: exactly the orphans, workers first, then the helpers; never the dead main.
      const plan = step(r.stdout, 5);
      assert.match(plan, new RegExp(`Plan: end ${2 + helpers} processes\\nrun 1 \\(orphaned, [^)]*demo/server\\): left behind`));
      for (const w of [w1, w2]) assert.match(plan, new RegExp(`\\n  ${w} worker/\\S+ :\\d+  .*\\n      why: \\S`), `the plan ends worker ${w}, with why`);
      assert.match(plan, new RegExp(`then, once those are gone, the helpers:\\n  ${tracker} helper/resource-tracker `), 'the tracker ends after the workers');
      if (forkserver !== null) assert.match(plan, new RegExp(`\\n  ${forkserver} helper/forkserver `), 'the forkserver is planned as a helper');
      assert.doesNotMatch(plan, new RegExp(`^  ${main} `, 'm'), 'the dead main is not planned');
      assert.doesNotMatch(plan, /left alone/, 'nothing of the demo is left alone');
      assert.match(step(r.stdout, 6), /Done: \d+ processes ended, nothing left behind/);
      assert.deepEqual(pids.filter(alive), [], 'the demo left nothing running');
    } finally {
      await cleanup(new Set(pids), []);
    }
  });
}

test('rerun-doctor demo judges and plans only its own run when an older, orphaned run of the sample server is beside it', async () => {
  const tracked = new Set<number>();
  const port = await freePort();
  const older = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  await waitListening([port]);
  await killAndReap(older);
  try {
    const r = await runCli(['demo', '--python', PYTHON]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(step(r.stdout, 2), /4 project processes in 1 run, no orphans/);
    assert.match(step(r.stdout, 4), /Verdict: 1 problem: 2 orphaned workers and 1 helper from run 1,/);
    assert.match(step(r.stdout, 4), /In short: the main process is gone, but 3 of its processes live on as orphans/);
    assert.match(step(r.stdout, 5), /Plan: end 3 processes\nrun 1 /);
    for (const p of [...older.workers, older.tracker!]) assert.doesNotMatch(r.stdout, new RegExp(`\\b${p} \\(?(worker|helper)/`), `the older run's ${p} is not the demo's`);
    for (const p of [...older.workers, older.tracker!]) assert.equal(alive(p), true, `the demo left the older run's ${p} alone`);
  } finally {
    await cleanup(tracked, [older.pgid]);
  }
});

test('Ctrl-C during the demo ends every process it started, stops the walk-through and exits 130', async () => {
  const child = spawn(process.execPath, [CLI, 'demo', '--python', PYTHON], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(() => /main (\d+), workers \d+, \d+/.test(out), 'the demo started its server', 20_000);
  const pids = /main (\d+), workers (\d+), (\d+)(?:, resource tracker (\d+))?/.exec(out)!.slice(1).filter((x) => x !== undefined).map(Number);
  try {
    child.kill('SIGINT');
    assert.equal(await exited, 130, `exit status\n${out}\n${err}`);
    assert.match(err, /rerun-doctor demo: interrupted: ended every process the demo started/);
    assert.match(out, /\[6\/6\] Ending everything the demo started/);
    assert.doesNotMatch(out.slice(out.indexOf('[6/6]')), /\[[2-5]\/6\]/, 'no step of the walk-through comes after the clean-up');
    await waitFor(() => pids.every((p) => !alive(p)), 'every process the demo started is gone', 5_000);
  } finally {
    await cleanup(new Set(pids), []);
  }
});
