// clean's wait for GPU memory, on real processes: the fake nvidia-smi (test/fixtures/bin/gpu, its
// changing mode: apps.state, test/fixtures/gpu/SOURCE.md) lists the real orphaned workers of a
// SIGKILLed run as GPU users for as long as /proc/PID says they are alive, so after clean ends them
// it stops listing them and their memory leaves memory.used, as a driver does. There is no GPU here:
// what is real is the orphans, their end, and clean's polling; what the driver says is the fake's.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../helpers/paths.js';
import { alive, freePort, liveScope, orphanedRun as orphanedRunOf, runCli, startServer, waitListening } from '../helpers/live.js';

const UUID = 'GPU-8f3c2a71-5d4e-4b9a-a0c6-2e7d91b4f0a3';
const { tracked, groups, tempDir } = liveScope();
const orphanedRun = () => orphanedRunOf(tracked, groups);

/** The fake's scenario: 460 MiB used by nobody, plus each listed process's share while it counts. */
function gpuState(lines: string[]): { env: NodeJS.ProcessEnv } {
  const d = tempDir('rd-live-gpu-');
  cpSync(fixture('gpu', 'nvidia-wait'), d, { recursive: true });
  writeFileSync(join(d, 'apps.state'), lines.map((l) => `${l}\n`).join(''));
  return { env: { PATH: `${fixture('bin', 'gpu')}${delimiter}${process.env.PATH ?? ''}`, RERUN_DOCTOR_FIXTURE_DIR: d } };
}

test('clean ends the real orphans holding the GPU, waits until nvidia-smi no longer lists them, and says the GPU is free', async () => {
  const { s, port } = await orphanedRun();
  const o = gpuState(s.workers.map((w) => `${w} 5000 ${UUID}`));
  const r = await runCli(['clean', '--yes', '--grace', '1s', '--gpu-wait', '10s', '--port', String(port)], o);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const w of s.workers) assert.equal(alive(w), false, `worker ${w} ended`);
  assert.match(r.stdout, new RegExp(`waiting up to 10 s for the GPU memory of ${[...s.workers].sort((a, b) => a - b).join(', ')} to be released`));
  assert.match(r.stdout, /GPU 0: memory back to 460 MiB after \d+\.\d s \(baseline 460 MiB: 10460 before, 10000 of it the ended processes'\); the GPU is free/);
});

test('memory the driver keeps after the orphans are gone: clean waits only up to --gpu-wait, says it is still held, exits 1; the healthy neighbour on the GPU survives', async () => {
  const { s, port } = await orphanedRun();
  const livePort = await freePort();
  const neighbour = await startServer(['--workers', '1', '--worker-port', String(livePort)], tracked);
  groups.push(neighbour.pgid);
  await waitListening([livePort]);
  const o = gpuState([...s.workers.map((w) => `${w} 5000 ${UUID} memory-stays`), `${neighbour.workers[0]} 3000 ${UUID}`]);
  const t0 = Date.now();
  const r = await runCli(['clean', '--yes', '--json', '--grace', '1s', '--gpu-wait', '2s', '--port', `${port},${livePort}`], o);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(Date.now() - t0 < 20_000, 'bounded');
  const j = JSON.parse(r.stdout) as { schemaVersion: number; gpuWait: { outcome: string; waitedMs: number; boundMs: number; pids: number[]; stillHeldBy: number[]; devices: Array<{ beforeMiB: number; targetsMiB: number; baselineMiB: number; nowMiB: number }> }; unkillable: unknown[] };
  assert.equal(j.schemaVersion, 3, 'an added optional field: no new schema version');
  assert.equal(j.gpuWait.outcome, 'still-held');
  assert.deepEqual(j.gpuWait.pids, [...s.workers].sort((a, b) => a - b), 'only the ended pids that held the GPU are waited for');
  assert.deepEqual(j.gpuWait.stillHeldBy, []);
  assert.deepEqual(j.gpuWait.devices.map((d) => [d.beforeMiB, d.targetsMiB, d.baselineMiB, d.nowMiB]), [[13460, 10000, 3460, 13460]]);
  assert.ok(j.gpuWait.waitedMs >= 1500 && j.gpuWait.waitedMs <= 4000, `waited ${j.gpuWait.waitedMs} ms, about the bound`);
  assert.deepEqual(j.unkillable, []);
  for (const w of s.workers) assert.equal(alive(w), false, `worker ${w} ended`);
  for (const pid of [neighbour.main, ...neighbour.workers]) assert.equal(alive(pid), true, `neighbour ${pid} survives`);
});

test('--gpu-wait 0 waits for nothing; a bad --gpu-wait is a usage error naming the flag', async () => {
  const { s, port } = await orphanedRun();
  const o = gpuState(s.workers.map((w) => `${w} 5000 ${UUID} stays`));
  const r = await runCli(['clean', '--yes', '--grace', '1s', '--gpu-wait', '0', '--port', String(port)], o);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /waiting up to .* for the GPU memory/);
  assert.match(r.stdout, /GPU memory still held by/, 'the one check after the cleanup still says what nvidia-smi lists');
  const bad = await runCli(['clean', '--yes', '--gpu-wait', 'soon'], o);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--gpu-wait "soon" is not a duration/);
});
