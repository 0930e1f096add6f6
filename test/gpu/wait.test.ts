// GPU after a kill, on any Linux box: the NSpid mapping and the pids nvidia-smi lists that are not
// in our /proc (fixture /proc trees built here), and clean's bounded wait for the GPU memory the
// ended processes held, against the fake nvidia-smi in its changing mode (apps.state, rewritten by
// the test while the wait runs: test/fixtures/gpu/SOURCE.md). Nothing here signals a process: the
// pids the fake lists here are numbers no process has (999990+), "alive" only through `stays`.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { unkillableOf } from '../../src/actions/execute-cleanup.js';
import { gpuBaselines, gpuPidsToWaitFor, waitForGpuRelease } from '../../src/actions/gpu-wait.js';
import { createHost } from '../../src/host/host.js';
import type { GpuEvidence } from '../../src/model/gpu.js';
import { nvidiaGpu } from '../../src/probes/gpu.nvidia.js';
import { linuxProcesses } from '../../src/probes/processes.linux.js';
import { renderGpuWait } from '../../src/render/clean-plan.js';
import { renderProcs } from '../../src/render/procs.js';
import { makeStyle } from '../../src/render/style.js';
import { RULES } from '../../src/rules/index.js';
import { INIT, proc, procTree, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { fixture } from '../helpers/paths.js';
import { inputFrom, okValue, runRule } from '../helpers/rule-tester.js';

const FAKE_BIN = fixture('bin', 'gpu');
const UUID = 'GPU-8f3c2a71-5d4e-4b9a-a0c6-2e7d91b4f0a3';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const host = (fixtureDir: string, procRoot?: string) => createHost({ platform: 'linux', env: { ...process.env, PATH: `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`, RERUN_DOCTOR_FIXTURE_DIR: fixtureDir }, procRoot });

/** A killed run in a container, seen from the host's /proc: worker 48213 is pid 7 in its container and holds /dev/nvidia*. */
function hostProc(withWorker: boolean): string {
  const root = procTree([
    { pid: 1, ppid: 0, argv: ['/sbin/init'], pgid: 1, sid: 1 },
    { pid: 48210, ppid: 1, argv: TRACKER, pgid: 48200, sid: 1, startTicks: 5000 },
    ...(withWorker ? [{ pid: 48213, ppid: 1, argv: SPAWN, pgid: 48200, sid: 1, startTicks: 5001, fds: { 3: '/dev/nvidiactl', 4: '/dev/nvidia0', 5: '/dev/nvidia-uvm' } }] : []),
    { pid: 7, ppid: 1, argv: SPAWN, pgid: 7, sid: 1, startTicks: 5002, fds: { 4: '/dev/nvidia0' } },
  ]);
  dirs.push(root);
  if (withWorker) writeFileSync(join(root, '48213', 'status'), 'Name:\tpython3\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t48213\t7\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nVmRSS:\t  1024 kB\n');
  return root;
}

test('NSpid: read from the host /proc, the GPU process 48213 nvidia-smi lists is pid 7 in its container, and the finding says both', async () => {
  const root = hostProc(true);
  const h = host(fixture('gpu', 'nvidia-hostpid'), root);
  const procs = await linuxProcesses(h, { enrich: (rows) => new Set(rows.map((r) => r.pid)) });
  assert.equal(procs.status, 'ok');
  if (procs.status !== 'ok') return;
  assert.deepEqual(procs.value.find((p) => p.pid === 48213)?.nsPids, [48213, 7]);
  const gpu = await nvidiaGpu(h, {});
  assert.equal(gpu.status, 'ok');
  if (gpu.status !== 'ok') return;
  assert.deepEqual(gpu.issues, [], 'every listed pid is here');
  assert.deepEqual(gpu.value.processes.map((p) => [p.pid, p.source]), [[48213, 'nvidia-smi']]);
  assert.equal(gpu.value.unseenProcesses, undefined);
  const input = inputFrom(procs.value, [], { gpu: okValue(gpu.value) });
  const f = runRule(RULES['gpu-memory-held'], input);
  assert.match(f[0]?.evidence[0]?.text ?? '', /^pid 48213, pid 7 in its container \(worker\/spawn-worker, run \d+, orphan\) holds 5212 MiB of GPU memory/);
  // procs shows it too; pid 7 of this /proc (no outer level) is shown as itself.
  const text = renderProcs(input.census, { style, now: new Date('2026-11-26T10:00:00Z'), width: 120, wide: false, patternSource: 'python.*-m src\\.main', ports: [] });
  assert.match(text, /48213 \(pid 7 in its container\) worker\/spawn-worker/);
  assert.doesNotMatch(text, /\b7 \(pid/);
});

test('inside a container: nvidia-smi lists 48213, which is not in this /proc: an issue names it, it is kept apart, and the /dev/nvidia* holders are attributed instead', async () => {
  const root = hostProc(false);
  const gpu = await nvidiaGpu(host(fixture('gpu', 'nvidia-hostpid'), root), {});
  assert.equal(gpu.status, 'ok');
  if (gpu.status !== 'ok') return;
  assert.deepEqual(gpu.value.unseenProcesses?.map((p) => [p.pid, p.usedMemoryMiB]), [[48213, 5212]]);
  assert.deepEqual(gpu.value.processes.map((p) => [p.pid, p.source]), [[7, '/dev/nvidia*']], 'the fd holder, never 48213 by number');
  assert.deepEqual(gpu.issues.map((i) => [i.kind, i.pids]), [['unavailable', [48213]]]);
  assert.match(gpu.issues[0]!.message, /nvidia-smi lists pid 48213 that is not in .*: the driver reports the host's pids/);
  assert.ok(gpu.value.sources.some((s) => s.endsWith('/fd → /dev/nvidia*')), 'the fd scan is in the trail');
});

// ---------------------------------------------------------------- the wait after clean

/** A changing scenario: the nvidia-wait templates and an apps.state the test writes (and rewrites). */
function waitScenario(state: string): string {
  const d = mkdtempSync(join(tmpdir(), 'rd-gpu-wait-'));
  dirs.push(d);
  cpSync(fixture('gpu', 'nvidia-wait'), d, { recursive: true });
  writeFileSync(join(d, 'apps.state'), state);
  return d;
}

const device = (used: number | null) => ({ index: 0, uuid: UUID, name: 'NVIDIA A10G', memoryUsedMiB: used, memoryTotalMiB: 23028, utilizationPercent: 0, temperatureC: 41, activeEventReasons: [], eventReasonCounters: {} });
const before = (used: number, procs: GpuEvidence['processes']): GpuEvidence => ({ vendor: 'nvidia', devices: [device(used)], processes: procs, driverVersion: '550.127.05', sources: [] });
const listedAs = (pid: number, mib: number | null) => ({ pid, usedMemoryMiB: mib, gpuUuid: mib === null ? null : UUID, source: mib === null ? '/dev/nvidia*' : 'nvidia-smi' });
const style = makeStyle(false);

test('baselines: memory before minus what the ended pids held; unknown when one of theirs is unknown; only pids that held the GPU are waited for', () => {
  const b = before(10460, [listedAs(999991, 5000), listedAs(999992, 5000), listedAs(5313, 400)]);
  assert.deepEqual(gpuPidsToWaitFor(b, [999991, 999992, 1234]), [999991, 999992]);
  assert.deepEqual(gpuBaselines(b, [999991, 999992]).map((d) => [d.beforeMiB, d.targetsMiB, d.baselineMiB]), [[10460, 10000, 460]]);
  assert.deepEqual(gpuBaselines(before(10460, [listedAs(999991, null)]), [999991]).map((d) => d.baselineMiB), [null]);
  assert.deepEqual(gpuPidsToWaitFor({ ...b, vendor: 'apple' }, [999991]), [], 'only NVIDIA is waited for');
});

test('the wait lasts until the ended pid leaves NVML and memory is back to the baseline, then says the GPU is free', async () => {
  const d = waitScenario(`999991 5000 ${UUID} stays\n`);
  // The driver lets go 800 ms in: the fake stops listing the pid and counting its memory.
  const release = setTimeout(() => writeFileSync(join(d, 'apps.state'), ''), 800);
  const lines: string[] = [];
  const w = await waitForGpuRelease(host(d), before(5460, [listedAs(999991, 5000)]), [999991], { boundMs: 10_000, intervalMs: 100, progress: (l) => lines.push(l) });
  clearTimeout(release);
  assert.equal(w.outcome, 'free', JSON.stringify(w));
  assert.ok(w.waitedMs >= 700 && w.waitedMs < 5000, `waited ${w.waitedMs} ms: until the release, not the bound`);
  assert.deepEqual(w.devices.map((x) => [x.baselineMiB, x.nowMiB]), [[460, 460]]);
  assert.match(lines[0]!, /^waiting up to 10 s for the GPU memory of 999991 to be released/);
  assert.match(renderGpuWait(w, style).join('\n'), /GPU 0: memory back to 460 MiB after \d+\.\d s \(baseline 460 MiB: 5460 before, 5000 of it the ended processes'\); the GPU is free/);
});

test('the wait stops at the bound when the pid stays in NVML, and says by whom the GPU is still held', async () => {
  const d = waitScenario(`999991 5000 ${UUID} stays\n`);
  const t0 = Date.now();
  const w = await waitForGpuRelease(host(d), before(5460, [listedAs(999991, 5000)]), [999991], { boundMs: 1200, intervalMs: 200 });
  assert.equal(w.outcome, 'still-held');
  assert.deepEqual(w.stillHeldBy, [999991]);
  assert.ok(Date.now() - t0 < 4000, 'bounded');
  assert.ok(w.waitedMs >= 900, `waited ${w.waitedMs} ms, about the bound`);
  assert.match(renderGpuWait(w, style).join('\n'), /GPU memory still held after \d+\.\d s by 999991 \(still listed by nvidia-smi or holding \/dev\/nvidia\*\)[\s\S]*memory still 5000 MiB above its baseline/);
});

test('the pid left NVML but the memory did not come back: still held, so many MiB above the baseline', async () => {
  const d = waitScenario(`999992 5000 ${UUID} memory-stays\n`);
  const w = await waitForGpuRelease(host(d), before(5460, [listedAs(999992, 5000)]), [999992], { boundMs: 600, intervalMs: 200 });
  assert.equal(w.outcome, 'still-held');
  assert.deepEqual(w.stillHeldBy, [], 'nvidia-smi no longer lists it');
  assert.deepEqual(w.devices.map((x) => x.nowMiB), [5460]);
  assert.match(renderGpuWait(w, style).join('\n'), /GPU 0: memory still 5000 MiB above its baseline \(5460 MiB, baseline 460 MiB\)/);
});

test('a holder found only through /dev/nvidia* (no amount): only its leaving is waited for; nvidia-smi failing is unreadable, not free', async () => {
  const d = waitScenario('');
  const w = await waitForGpuRelease(host(d), before(5460, [listedAs(999993, null)]), [999993], { boundMs: 2000, intervalMs: 100 });
  assert.equal(w.outcome, 'free');
  assert.deepEqual(w.devices.map((x) => x.baselineMiB), [null]);
  assert.match(renderGpuWait(w, style).join('\n'), /the ended processes left it after .*; it uses 460 MiB now \(how much was theirs is unknown\)/);
  const broken = mkdtempSync(join(tmpdir(), 'rd-gpu-broken-'));
  dirs.push(broken);
  const u = await waitForGpuRelease(host(broken), before(5460, [listedAs(999993, 10)]), [999993], { boundMs: 2000, intervalMs: 100 });
  assert.equal(u.outcome, 'unreadable');
  assert.match(u.reason ?? '', /missing capture/);
});

test('clean report: a target that survived SIGKILL in D is unkillable, with the reset advice for its GPU; one in S, or one that ended, is not', () => {
  const report = { rounds: 1, survivors: [1002, 1003], results: [1002, 1003, 1004].map((pid) => ({ pid, outcome: pid === 1004 ? ('killed' as const) : ('survived' as const), detail: '', round: 1 })) };
  const procs = [INIT, SHELL, proc(1002, 1, SPAWN, { state: 'D', sigPnd: '0000000000000000', shdPnd: '0000000000000100' }), proc(1003, 1, SPAWN, { state: 'S' }), proc(1004, 1, SPAWN, { state: 'D' })];
  const gpu = okValue(before(5460, [listedAs(1002, 5000)]));
  const u = unkillableOf(report, procs, gpu);
  assert.deepEqual(u.map((x) => [x.pid, x.sigkillPending, x.holdsGpu, x.gpu]), [[1002, true, true, UUID]]);
  assert.match(u[0]!.advice, new RegExp(`nvidia-smi --gpu-reset -i ${UUID}`));
  assert.doesNotMatch(u[0]!.advice, /kill -9/);
  const noGpu = unkillableOf(report, procs, okValue(before(460, [])));
  assert.equal(noGpu[0]!.holdsGpu, false);
  assert.match(noGpu[0]!.advice, /stuck in the kernel .*reboot/);
});
