// count before / after / history against real leaky reruns of the sample server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, freePort, killAndReap, runCli, startServer, waitListening } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'rd-state-'));
after(async () => {
  await cleanup(tracked, groups);
  rmSync(stateDir, { recursive: true, force: true });
});

const env = { RERUN_DOCTOR_STATE_DIR: stateDir };

interface Cmp {
  survived: Array<{ pid: number }>;
  appeared: Array<{ pid: number }>;
  gone: Array<{ pid: number }>;
  expectation: { verdict: string; expected: number | null; unexplained: Array<{ pid: number; why: string }>; helpersExplained: Array<{ pid: number; kind: string }> };
  after: { summary: { total: number } };
}

test('count: a clean run matches 1 + N with the tracker explained; a killed main leaves a leak; leaky reruns grow', async () => {
  const port = await freePort();
  const b = await runCli(['count', 'before', '--port', String(port)], { env });
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /Saved the census/);

  const s = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  groups.push(s.pgid);
  await waitListening([port]);
  const running = await runCli(['count', 'after', '--instances', '2', '--port', String(port), '--json'], { env });
  const r = JSON.parse(running.stdout) as Cmp;
  // Processes that were there before (strays on a shared machine) are judged too; ours must be
  // explained, and with none before, the whole verdict must be ok.
  const strays = r.survived.map((p) => p.pid);
  assert.ok(!r.expectation.unexplained.some((u) => [s.main, ...s.workers, s.tracker].includes(u.pid)), `our run is explained: ${JSON.stringify(r.expectation.unexplained)}`);
  if (strays.length === 0) {
    assert.equal(running.code, 0, running.stdout);
    assert.equal(r.expectation.verdict, 'ok');
  }
  assert.equal(r.expectation.expected, 3);
  assert.ok(r.expectation.helpersExplained.some((h) => h.pid === s.tracker && h.kind === 'resource-tracker'), 'the tracker is explained as a helper');
  const mine = [s.main, ...s.workers, s.tracker!].sort((a, b) => a - b);
  assert.deepEqual(r.appeared.map((p) => p.pid).filter((p) => mine.includes(p)).sort((a, b) => a - b), mine);

  // Leaky reruns: each run's main is SIGKILLed, its workers and tracker stay.
  const totals: number[] = [];
  await killAndReap(s);
  for (let run = 0; run < 3; run++) {
    if (run > 0) {
      const again = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
      groups.push(again.pgid);
      await waitListening([port]);
      await killAndReap(again);
    }
    const a = await runCli(['count', 'after', '--instances', '2', '--port', String(port), '--json'], { env });
    assert.equal(a.code, 1, 'a leak exits 1');
    const j = JSON.parse(a.stdout) as Cmp;
    assert.equal(j.expectation.verdict, 'leak');
    assert.ok(j.expectation.unexplained.every((u) => /orphan/.test(u.why)), 'j.expectation.unexplained.every((u) => /orphan/.test(u.why))');
    totals.push(j.after.summary.total);
  }
  assert.ok(totals[1]! - totals[0]! >= 3 && totals[2]! - totals[1]! >= 3, `grows by 3 per run: ${totals.join(' → ')}`);

  const text = await runCli(['count', 'after', '--instances', '2', '--port', String(port)], { env });
  assert.match(text.stdout, /^LEAK: \d+ processes beyond what the running servers explain/);
  assert.match(text.stdout, /orphan: re-parented to 1/);

  const h = await runCli(['count', 'history', '--json'], { env });
  assert.equal(h.code, 1, 'a growing history exits 1');
  const hist = JSON.parse(h.stdout) as { entries: Array<{ kind: string }>; trend: { growing: boolean; counts: number[] } };
  assert.equal(hist.entries[0]!.kind, 'before');
  assert.equal(hist.trend.growing, true);
  const ht = await runCli(['count', 'history'], { env });
  assert.match(ht.stdout, /GROWING: the project's process count after each run went/);
});

test('count after without a saved census is a clear usage error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'rd-empty-'));
  try {
    const r = await runCli(['count', 'after'], { env: { RERUN_DOCTOR_STATE_DIR: empty } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rerun-doctor: count after: no saved census in .*: run "rerun-doctor count before" first\n$/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
