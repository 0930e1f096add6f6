// watch procs' sampler against real servers: counts, CPU%, appeared/vanished, orphans, gaps.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createHost } from '../../src/host/host.js';
import type { ProcSample, ProcSampleResult } from '../../src/model/proc-sample.js';
import { createProcSampler } from '../../src/watch/proc-sampler.js';
import { procLine } from '../../src/render/watch-procs.js';
import { cleanup, freePort, killAndReap, startServer, waitListening } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
after(() => cleanup(tracked, groups));

function ok(r: ProcSampleResult): ProcSample {
  assert.ok(r.ok, `sample failed: ${JSON.stringify(r)}`);
  return r as ProcSample;
}

test('incremental samples follow a server, its kill, and the orphans it leaves', async () => {
  const port = await freePort();
  const host = createHost();
  // Only this test's server counts: a unique server pattern and its own port.
  const opts = { serverPattern: new RegExp(`python.*-m src\\.main .*--worker-port ${port}`), workerPatterns: [], ports: [port], generationGapSeconds: 30, projectRoot: null };
  const sampler = createProcSampler(host, opts, { fullEvery: 3 });
  const first = ok(await sampler.sample());
  assert.equal(first.cpuPercent, null, 'no CPU% without an interval');

  const s = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  groups.push(s.pgid);
  await waitListening([port]);
  const running = ok(await sampler.sample());
  const mine = (xs: ProcSample['appeared']) => xs.filter((x) => [s.main, ...s.workers, s.tracker].includes(x.pid)).map((x) => x.pid).sort((a, b) => a - b);
  assert.deepEqual(mine(running.appeared), [s.main, ...s.workers, s.tracker!].sort((a, b) => a - b));
  assert.ok(running.counts.server >= 1 && running.counts.worker >= 2 && running.counts.helper >= 1, JSON.stringify(running.counts));
  assert.ok(running.cpuPercent !== null, 'CPU% from the second sample on');
  assert.ok(running.rssBytes.worker > 0, 'worker RSS');

  await killAndReap(s);
  const killed = ok(await sampler.sample());
  assert.deepEqual(killed.vanished.filter((x) => x.pid === s.main).map((x) => x.role), ['server']);
  assert.ok(killed.orphans >= 3, `orphans after the kill: ${killed.orphans}`);
  assert.match(procLine(killed), new RegExp(`vanished=.*${s.main}/server`));
  assert.match(procLine(killed), /orphans=[3-9]/);
  for (let i = 0; i < 3; i++) ok(await sampler.sample()); // through a full re-read
  assert.equal(sampler.latest()!.processes.filter((p) => p.orphan && [s.tracker, ...s.workers].includes(p.pid)).length, 3);
});

test('a sampler whose /proc is gone reports a gap, not a crash', async () => {
  const sampler = createProcSampler(createHost({ platform: 'linux', procRoot: '/nonexistent/proc' }), { serverPattern: /x/, workerPatterns: [], ports: [], generationGapSeconds: 30, projectRoot: null });
  const r = await sampler.sample();
  assert.equal(r.ok, false);
  assert.match(procLine(r), /procs GAP error=".*nonexistent/);
});
