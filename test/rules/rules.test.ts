import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runRules as diagnose } from '../../src/rules/diagnose.js';
import { RULES, RULE_IDS } from '../../src/rules/index.js';
import type { HistoryEntry } from '../../src/model/count.js';
import type { GpuEvidence } from '../../src/model/gpu.js';
import type { MemoryEvidence } from '../../src/model/memory.js';
import type { ThermalEvidence } from '../../src/model/thermal.js';
import type { IntervalSummary } from '../../src/model/metrics-summary.js';
import type { MetricsSample } from '../../src/model/metrics-sample.js';
import type { CpuEvidence } from '../../src/model/cpu.js';
import type { MultiprocDir } from '../../src/model/multiproc.js';
import type { ProcessInfo } from '../../src/model/snapshot.js';
import { classify } from '../../src/census/classify.js';
import { portReports } from '../../src/census/ports.js';
import { INIT, listen, OPTS, proc, PY, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { ROOT } from '../helpers/paths.js';
import { inputFrom, okValue, runRule } from '../helpers/rule-tester.js';
import { seg, shmOf } from '../helpers/shm.js';

// A terminal (session 900) runs the live server as a job; a killed run's pieces were re-parented to
// init (session 1), still in session 900 and in the group of their dead main.
const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];
const orphanRun = (pgid: number, start: number) => [proc(pgid + 1, 1, TRACKER, { ...T, pgid, start }), proc(pgid + 2, 1, SPAWN, { ...T, pgid, start: start + 0.1 }), proc(pgid + 3, 1, SPAWN, { ...T, pgid, start: start + 0.2 })];

test('registry: every rule has a file, a doc page, and a test here', () => {
  const src = readdirSync(join(ROOT, 'src', 'rules')).filter((f) => f.endsWith('.ts'));
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  for (const id of RULE_IDS) {
    assert.equal(RULES[id].meta.id, id, `RULES['${id}'].meta.id`);
    assert.ok(src.includes(`${id}.ts`), `src/rules/${id}.ts is missing: one rule per file`);
    assert.ok(existsSync(join(ROOT, 'docs', 'rules', `${id}.md`)), `docs/rules/${id}.md is missing: every rule has a page (what, evidence, fix, false positives)`);
    assert.ok(self.includes(`RULES['${id}']`), `no test for ${id} in test/rules/rules.test.ts`);
  }
});

test("RULES['orphan-workers']: valid: a live run; invalid: a killed run's workers and tracker", () => {
  assert.deepEqual(runRule(RULES['orphan-workers'], inputFrom(live)), []);
  const f = runRule(RULES['orphan-workers'], inputFrom([...live, ...orphanRun(1000, 1)], [listen(50051, 9, [1002])]));
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.pids, [1001, 1002, 1003]);
  assert.deepEqual(f[0]!.ports, [50051]);
  assert.equal(f[0]!.severity, 'error');
  assert.match(f[0]!.title, /2 orphaned workers and 1 helper from run 1, still holding :50051/);
  assert.match(f[0]!.evidence[0]!.text, /re-parented to 1 \(systemd\): it is in session 900, which 1 is not in/);
  // fork copies of a dead main, tied by the listener they inherited: workers of a dead server, not servers
  const forks = [proc(1101, 1, SERVER, { ...T, pgid: 1100, start: 1, socketInodes: [55] }), proc(1102, 1, SERVER, { ...T, pgid: 1100, start: 1.1, socketInodes: [55] })];
  const fw = runRule(RULES['orphan-workers'], inputFrom([...live, ...forks]));
  assert.deepEqual(fw[0]!.pids, [1101, 1102]);
  assert.match(fw[0]!.title, /^2 orphaned workers from run 1/);
  // just a tracker left: no "0 orphaned workers"
  assert.match(runRule(RULES['orphan-workers'], inputFrom([...live, orphanRun(1000, 1)[0]!]))[0]!.title, /^1 orphaned helper from run 1/);
  // an unrelated program's workers under its live main are not orphans, whatever their argv
  const job = [proc(3000, 900, [PY, 'job.py'], { ...T, pgid: 3000, start: 700 }), proc(3001, 3000, SPAWN, { ...T, pgid: 3000, start: 701 }), proc(3002, 3000, SPAWN, { ...T, pgid: 3000, start: 701.1 })];
  assert.deepEqual(runRule(RULES['orphan-workers'], inputFrom([...live, ...job])), []);
});

test("RULES['orphan-workers'] and RULES['orphan-server']: leftovers started with the Python guard on say so (its limits show), and only then", () => {
  const G = { env: { RERUN_DOCTOR_GUARD: '1' } };
  const guarded = orphanRun(1000, 1).map((p, i) => (i === 0 ? p : { ...p, ...G }));
  const f = runRule(RULES['orphan-workers'], inputFrom([...live, ...guarded]));
  assert.equal(f.length, 1);
  const line = f[0]!.evidence.find((e) => /parent-death guard/.test(e.text));
  assert.ok(line, JSON.stringify(f[0]!.evidence));
  assert.match(line.text, /guard was on in 2 of 3 \(RERUN_DOCTOR_GUARD=1: pids 1002, 1003\) and they still outlived their parent/);
  assert.equal(line.source, '/proc/PID/environ');
  // without the marker: no such line
  assert.ok(!runRule(RULES['orphan-workers'], inputFrom([...live, ...orphanRun(1000, 1)]))[0]!.evidence.some((e) => /guard/.test(e.text)), 'no guard line without the marker');
  // the census lists the guarded members of the run
  const census = inputFrom([...live, ...guarded]).census;
  const run = census.generations.find((g) => g.pids.includes(1002))!;
  assert.deepEqual(run.pythonGuard, [1002, 1003]);
  assert.deepEqual(census.generations.find((g) => g.pids.includes(2000))!.pythonGuard, []);
  // a dead server that had the guard: the guard does not end a main whose launcher died
  const srv = [proc(1200, 1, SERVER, { ...T, pgid: 1200, start: 2, ...G, socketInodes: [77] })];
  const fs = runRule(RULES['orphan-server'], inputFrom([...live, ...srv], [listen(50051, 77, [1200])]));
  assert.ok(fs.length >= 1, 'a dead server finding');
  assert.ok(fs[0]!.evidence.some((e) => e.source === '/proc/1200/environ' && /never ends a main process whose launcher is gone/.test(e.text)), JSON.stringify(fs[0]!.evidence));
});

test("RULES['orphan-server']: a dead run's server: warning when detached and alone, error beside a newer run; a service is not one", () => {
  assert.deepEqual(runRule(RULES['orphan-server'], inputFrom(live, [listen(50051, 9, [2000])])), []);
  // nohup'd server whose start script exited: adopted by init, not its own session leader
  const detached = [proc(1000, 1, SERVER, { ...T, pgid: 1000, start: 1 }), proc(1002, 1000, SPAWN, { ...T, pgid: 1000, start: 1.1 })];
  const alone = runRule(RULES['orphan-server'], inputFrom([INIT, ...detached], [listen(50051, 9, [1002]), listen(8080, 10, [1000])]));
  assert.equal(alone.length, 1, 'one finding per process, with every port its run holds');
  assert.equal(alone[0]!.severity, 'warning');
  assert.deepEqual(alone[0]!.ports, [8080, 50051]);
  assert.match(alone[0]!.title, /server 1000 was started detached and its launcher is gone: if you stopped your server, this one still holds :8080 and :50051/);
  const beside = runRule(RULES['orphan-server'], inputFrom([...live, ...detached], [listen(50051, 9, [1002]), listen(50051, 10, [2002])]));
  assert.equal(beside.length, 1);
  assert.equal(beside[0]!.severity, 'error');
  assert.deepEqual(beside[0]!.pids, [1000, 1002]);
  assert.match(beside[0]!.title, /beside a newer run of the project/);
  assert.ok(beside[0]!.evidence.some((e) => /splits connections/.test(e.text)), 'the shared port is part of the evidence');
  const own = runRule(RULES['orphan-server'], inputFrom([INIT, ...detached], [listen(50051, 9, [1002])], { ownLeftovers: [1000] }));
  assert.equal(own[0]!.severity, 'error', 'check stopped this run itself: its server lives on');
  const service = proc(1000, 1, SERVER, { pgid: 1000, sid: 1000, tty: null, start: 1 });
  assert.deepEqual(runRule(RULES['orphan-server'], inputFrom([INIT, service], [listen(50051, 9, [1000])])), [], 'a server that leads its own session (setsid, a unit) runs on purpose');
  const tini = proc(50, 1, ['/usr/bin/tini', '--', 'python', '-m', 'src.main'], { pgid: 50, sid: 50, start: -5, comm: 'tini' });
  assert.deepEqual(runRule(RULES['orphan-server'], inputFrom([INIT, tini, proc(1000, 50, SERVER, { pgid: 1000, sid: 50, start: 1 })], [listen(50051, 9, [1000])])), [], 'tini started it and is alive');
  // another project's dead server on a watched port: named with whose it is, a warning
  const foreign = inputFrom([INIT, ...detached.map((p) => ({ ...p, cwd: '/other' }))], [listen(50051, 9, [1002])], {});
  const scoped = { ...foreign, census: classify(foreign.census.snapshot, { ...OPTS, projectRoot: '/mine' }) };
  const ff = runRule(RULES['orphan-server'], { ...scoped, ports: portReports(scoped.census, OPTS.ports, OPTS.ports) });
  assert.equal(ff[0]!.severity, 'warning');
  assert.match(ff[0]!.title, /another project's server 1000.*cwd \/other/);
});

test("RULES['port-shared']: separate sockets of different runs is an error; of one live run, nothing", () => {
  const mixed = runRule(RULES['port-shared'], inputFrom([...live, ...orphanRun(1000, 1)], [listen(50051, 9, [1002]), listen(50051, 10, [2002])]));
  assert.equal(mixed.length, 1);
  assert.equal(mixed[0]!.severity, 'error');
  const sameRun = runRule(RULES['port-shared'], inputFrom([...live, proc(2003, 2000, SPAWN, { ...T, pgid: 2000, start: 600.3 })], [listen(50051, 9, [2002]), listen(50051, 10, [2003])]));
  assert.deepEqual(sameRun, [], 'workers of one run binding the port with SO_REUSEPORT is a design, not a finding');
  assert.deepEqual(runRule(RULES['port-shared'], inputFrom(live, [listen(50051, 9, [2000, 2002])])), [], 'one inherited socket is not shared');
  assert.deepEqual(runRule(RULES['port-shared'], inputFrom([...live, ...orphanRun(1000, 1)], [listen(50051, 9, [1002]), listen(50051, 10, [1003])])), [], "one dead run's orphans alone: nothing new shares it (orphan-workers says the rest)");
});

test("RULES['port-held']: a dead run's listener beyond the watched ports is named; a live run's is not (more in port-held.test.ts)", () => {
  const at = (port: number, inode: number, owners: number[]) => listen(port, inode, owners, '127.0.0.1');
  assert.deepEqual(runRule(RULES['port-held'], inputFrom(live, [at(29500, 5, [2002])])), []);
  const f = runRule(RULES['port-held'], inputFrom([...live, ...orphanRun(1000, 1)], [at(29500, 5, [1002])]));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'held');
  assert.match(f[0]!.title, /^dead run 1 still holds 1 listener beyond the watched ports: 127\.0\.0\.1:29500$/);
});

test("RULES['zombies']: an unreaped child of the server", () => {
  assert.deepEqual(runRule(RULES.zombies, inputFrom(live)), []);
  const f = runRule(RULES.zombies, inputFrom([...live, proc(2009, 2000, [], { pgid: 2000, state: 'Z', zombie: true, comm: 'python3', start: 601 })]));
  assert.deepEqual(f[0]!.pids, [2009]);
  assert.match(f[0]!.title, /parent 2000/);
});

const hist = (totals: number[]): HistoryEntry[] => totals.map((total) => ({ schemaVersion: 1, kind: 'after', takenAt: '', summary: { total, byRole: { server: 0, worker: 0, helper: 0 }, orphans: 0, zombies: 0, runs: 0, liveServers: 0 }, expected: null, unexplained: null }));

test("RULES['process-leak']: growing history, several orphaned runs, more than 1 + N", () => {
  assert.deepEqual(runRule(RULES['process-leak'], inputFrom(live, [], { history: okValue(hist([4, 4, 4])) })), []);
  assert.deepEqual(runRule(RULES['process-leak'], inputFrom([...live, ...orphanRun(1000, 1)])), [], 'one orphaned run is orphan-workers, not yet a leak');
  // One SIGKILLed run whose workers called setsid (each its own session and group) and its
  // torch_shm_manager: tied by the tracker's pipe, one run, not "a leak that grows with every run".
  const setsid = [
    proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1, pipes: [77] }),
    proc(1002, 1, SPAWN, { sid: 1002, pgid: 1002, start: 1.1, pipes: [77] }),
    proc(1003, 1, SPAWN, { sid: 1003, pgid: 1003, start: 1.2, pipes: [77] }),
    proc(1004, 1, SPAWN, { sid: 1004, pgid: 1004, start: 1.3, pipes: [77] }),
  ];
  const one = inputFrom([...live, ...setsid]);
  assert.equal(one.census.generations.filter((g) => g.dead).length, 1, 'one dead run');
  assert.deepEqual(runRule(RULES['process-leak'], one), []);
  const grown = runRule(RULES['process-leak'], inputFrom(live, [], { history: okValue(hist([3, 6, 9])) }));
  assert.match(grown[0]!.evidence[0]!.text, /3 → 6 → 9/);
  const runs = runRule(RULES['process-leak'], inputFrom([...live, ...orphanRun(1000, 1), ...orphanRun(1500, 100)]));
  assert.equal(runs[0]!.severity, 'error');
  assert.deepEqual(runs[0]!.pids, [1001, 1002, 1003, 1501, 1502, 1503]);
  const extra = runRule(RULES['process-leak'], inputFrom([...live, proc(2003, 2000, SPAWN, { ...T, pgid: 2000, start: 600.3 })], [], { instances: 1 }));
  assert.equal(extra[0]!.severity, 'warning');
  assert.deepEqual(extra[0]!.pids, [2003]);
});

const gpu = (procs: GpuEvidence['processes'], used = 10000): GpuEvidence => ({ vendor: 'nvidia', devices: [{ index: 0, uuid: 'GPU-1', name: 'H100', memoryUsedMiB: used, memoryTotalMiB: 81559, utilizationPercent: 0, temperatureC: 40, activeEventReasons: [], eventReasonCounters: {} }], processes: procs, driverVersion: '550.54', sources: ['nvidia-smi'] });

test("RULES['gpu-memory-held']: orphans holding GPU memory; memory up after a stop; skipped without a GPU tool", () => {
  const input = (g: GpuEvidence, extra = {}) => inputFrom([...live, ...orphanRun(1000, 1)], [], { gpu: okValue(g), ...extra });
  assert.deepEqual(runRule(RULES['gpu-memory-held'], input(gpu([{ pid: 2002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }]))), [], 'the live run may use the GPU');
  const f = runRule(RULES['gpu-memory-held'], input(gpu([{ pid: 1002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }, { pid: 1003, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' }])));
  assert.deepEqual(f[0]!.pids, [1002, 1003]);
  const after = runRule(RULES['gpu-memory-held'], input(gpu([], 9000), { gpuBefore: gpu([], 500) }));
  assert.match(after[0]!.evidence[0]!.text, /500 MiB used before the run, 9000 MiB after/);
  const d = diagnose(inputFrom(live));
  assert.ok(d.skipped.some((s) => s.id === 'gpu-memory-held' && /GPU: none in this test/.test(s.reason)), JSON.stringify(d.skipped));
});

test("RULES['gpu-memory-held']: read from the host's /proc, a container's process shows both pids; pids nvidia-smi lists that are not here are said, never matched", () => {
  // Worker 1002 of the killed run runs in a container: NSpid "1002 7" (the host's pid, then its own).
  const procs = [...live, ...orphanRun(1000, 1).map((p) => (p.pid === 1002 ? { ...p, nsPids: [1002, 7], nsPid: 7 } : p))];
  const f = runRule(RULES['gpu-memory-held'], inputFrom(procs, [], { gpu: okValue(gpu([{ pid: 1002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }])) }));
  assert.match(f[0]!.evidence[0]!.text, /^pid 1002, pid 7 in its container \(worker\/spawn-worker, run \d+, orphan\) holds 5000 MiB of GPU memory on GPU-1/);
  // Inside a container: nvidia-smi listed 48213 (not in this /proc); the holder 1003 was found through /dev/nvidia*.
  const g: GpuEvidence = { ...gpu([{ pid: 1003, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' }]), unseenProcesses: [{ pid: 48213, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }] };
  const c = runRule(RULES['gpu-memory-held'], inputFrom([...live, ...orphanRun(1000, 1)], [], { gpu: okValue(g) }));
  assert.deepEqual(c[0]!.pids, [1003], '48213 is never taken for a process here');
  assert.ok(c[0]!.evidence.some((e) => /nvidia-smi also lists pid 48213 \(5000 MiB\), not in this \/proc/.test(e.text)), JSON.stringify(c[0]!.evidence));
  // A holder in D gets a line pointing at unkillable.
  const d = runRule(RULES['gpu-memory-held'], inputFrom([...live, ...orphanRun(1000, 1).map((p) => (p.pid === 1002 ? { ...p, state: 'D' } : p))], [], { gpu: okValue(gpu([{ pid: 1002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }])) }));
  assert.ok(d[0]!.evidence.some((e) => /pid 1002 is in uninterruptible sleep \(D\)/.test(e.text)), JSON.stringify(d[0]!.evidence));
});

test("RULES['unkillable']: a dead run's process in D with SIGKILL pending holding the GPU; not without SIGKILL pending, not a live run's, not without the GPU", () => {
  const KILL = '0000000000000100';
  const NONE = '0000000000000000';
  const held = gpu([{ pid: 1002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }, { pid: 2002, usedMemoryMiB: 5000, gpuUuid: 'GPU-1', source: 'nvidia-smi' }]);
  const stuck = (pid: number, sigPnd: string, shdPnd: string, state = 'D') => (p: ProcessInfo) => (p.pid === pid ? { ...p, state, sigPnd, shdPnd } : p);
  const input = (procs: ProcessInfo[], g: GpuEvidence = held) => inputFrom(procs, [], { gpu: okValue(g) });
  const f = runRule(RULES.unkillable, input([...live, ...orphanRun(1000, 1).map(stuck(1002, NONE, KILL))]));
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.pids, [1002]);
  assert.equal(f[0]!.severity, 'error');
  assert.match(f[0]!.title, /^1 process of a dead run cannot be killed: in uninterruptible sleep \(D\) with SIGKILL pending, holding GPU memory/);
  assert.match(f[0]!.fix, /nvidia-smi --gpu-reset -i GPU-1/);
  assert.doesNotMatch(f[0]!.fix, /kill -9|SIGKILL it|send SIGKILL/i, 'never more signals');
  assert.match(f[0]!.evidence.map((e) => e.text).join('\n'), /pid 1002 .* state D .*SIGKILL pending[\s\S]*holds 5000 MiB of GPU memory on GPU-1/);
  // The thread's own pending set counts too.
  assert.deepEqual(runRule(RULES.unkillable, input([...live, ...orphanRun(1000, 1).map(stuck(1002, KILL, NONE))]))[0]!.pids, [1002]);
  // Valid: D without SIGKILL pending (a driver call in progress: gpu-memory-held's), SIGKILL pending but not in D,
  // a live run's process, a dead run's process that holds no GPU memory.
  assert.deepEqual(runRule(RULES.unkillable, input([...live, ...orphanRun(1000, 1).map(stuck(1002, NONE, NONE))])), []);
  assert.deepEqual(runRule(RULES.unkillable, input([...live, ...orphanRun(1000, 1).map(stuck(1002, NONE, KILL, 'S'))])), []);
  assert.deepEqual(runRule(RULES.unkillable, input([...live.map(stuck(2002, NONE, KILL)), ...orphanRun(1000, 1)])), [], 'the live run is not a dead run');
  assert.deepEqual(runRule(RULES.unkillable, input([...live, ...orphanRun(1000, 1).map(stuck(1003, NONE, KILL))])), [], '1003 holds no GPU memory');
  // Skipped (not judged) without GPU evidence.
  const d = diagnose(inputFrom([...live, ...orphanRun(1000, 1).map(stuck(1002, NONE, KILL))]));
  assert.ok(d.skipped.some((k) => k.id === 'unkillable' && /GPU: none in this test/.test(k.reason)), JSON.stringify(d.skipped));
});

const thermal = (over: Partial<ThermalEvidence>): ThermalEvidence => ({ platform: 'linux', cpus: [], coolingDevices: [], cpuPressureSomeAvg10: null, cpuSpeedLimitPercent: null, thermalPressureLevel: null, gpuThermalSlowdown: [], sources: [], ...over });

test("RULES['thermal-throttling']: rising counters, slow clocks, Apple pressure; nothing without evidence", () => {
  const cpu = (n: number, pkg: number, cur: number) => ({ cpu: n, coreThrottleCount: 0, packageThrottleCount: pkg, curFreqKHz: cur, maxFreqKHz: 4000000 });
  const t = (first: ThermalEvidence, last: ThermalEvidence) => inputFrom(live, [], { thermal: okValue({ first, last }) });
  assert.deepEqual(runRule(RULES['thermal-throttling'], t(thermal({ cpus: [cpu(0, 5, 3900000)] }), thermal({ cpus: [cpu(0, 5, 3900000)] }))), [], 'counters that did not move, clocks near max');
  const rising = runRule(RULES['thermal-throttling'], t(thermal({ cpus: [cpu(0, 5, 3900000)] }), thermal({ cpus: [cpu(0, 9, 1200000)] })));
  assert.equal(rising[0]!.confidence, 'high');
  assert.equal(rising[0]!.evidence.length, 2);
  const apple = runRule(RULES['thermal-throttling'], t(thermal({ platform: 'darwin', thermalPressureLevel: 1 }), thermal({ platform: 'darwin', thermalPressureLevel: 3 })));
  assert.match(apple[0]!.evidence[0]!.text, /level 3 .* up from 1/);
  assert.deepEqual(runRule(RULES['thermal-throttling'], inputFrom(live)), [], 'no thermal evidence and no metrics: nothing to say');
  assert.deepEqual(runRule(RULES['thermal-throttling'], t(thermal({ cpus: [cpu(0, 5, 800000), cpu(1, 5, 800000)] }), thermal({ cpus: [cpu(0, 5, 800000), cpu(1, 5, 800000)] }))), [], 'low clocks alone are an idle CPU saving power');
  assert.deepEqual(runRule(RULES['thermal-throttling'], t(thermal({ platform: 'darwin', thermalPressureLevel: 2 }), thermal({ platform: 'darwin', thermalPressureLevel: 2 }))), [], 'a steady level 2 (a fanless laptop) is not throttling');
});

const memory = (over: Partial<MemoryEvidence>): MemoryEvidence => ({ platform: 'darwin', pressureLevel: 1, psiSomeAvg10: null, psiFullAvg10: null, totalBytes: 16 * 2 ** 30, availableBytes: null, swapUsedBytes: 0, swapTotalBytes: 0, sources: [], ...over });

test("RULES['memory-pressure']: the kernel's pressure, with the leftovers of earlier runs by footprint or RSS; silent when normal", () => {
  const mem = (m: MemoryEvidence, extra = {}, procs = [...live, ...orphanRun(1000, 1)]) => runRule(RULES['memory-pressure'], inputFrom(procs, [], { memory: okValue(m), ...extra }));
  assert.deepEqual(mem(memory({ pressureLevel: 1 })), [], 'normal pressure: nothing, orphans or not');
  const held = mem(memory({ pressureLevel: 2, swapUsedBytes: 3 * 2 ** 30, swapTotalBytes: 4 * 2 ** 30 }));
  assert.equal(held.length, 1);
  assert.equal(held[0]!.messageId, 'heldByLeftovers');
  assert.deepEqual(held[0]!.pids, [1001, 1002, 1003], 'the dead run, not the live one');
  assert.deepEqual(held[0]!.evidence.slice(0, 2).map((e) => e.text), ['memory pressure level 2 (warn; 1 normal, 2 warn, 4 critical)', 'swap: 3.0 GiB in use of 4.0 GiB']);
  // A footprint read for a leftover replaces its RSS.
  const gpuFp: GpuEvidence = { vendor: 'apple', devices: [], processes: [{ pid: 1002, usedMemoryMiB: 5000, gpuUuid: null, source: 'footprint', footprintMiB: 6144 }], inUseSystemMemoryBytes: null, memoryPressureLevel: 2, driverVersion: null, sources: [] };
  const fp = mem(memory({ pressureLevel: 4 }), { gpu: okValue(gpuFp) });
  assert.match(fp[0]!.evidence[1]!.text, /^pid 1002 .* holds 6\.0 GiB \(physical footprint\)/);
  assert.equal(fp[0]!.evidence[1]!.source, 'footprint 1002');
  // No leftover: still short of memory, said without blaming a run.
  const alone = mem(memory({ pressureLevel: 2 }), {}, live);
  assert.deepEqual([alone[0]!.messageId, alone[0]!.pids, alone[0]!.title], ['short', [], 'the machine is short of memory (memory pressure level 2)']);
  // Linux: PSI some avg10 at the threshold; MemAvailable where there is no PSI.
  assert.equal(mem(memory({ platform: 'linux', pressureLevel: null, psiSomeAvg10: 9.9 }), {}, live).length, 0);
  assert.match(mem(memory({ platform: 'linux', pressureLevel: null, psiSomeAvg10: 10 }), {}, live)[0]!.title, /tasks stalled on memory 10\.0 %/);
  assert.equal(mem(memory({ platform: 'linux', pressureLevel: null, availableBytes: 2 ** 29, totalBytes: 16 * 2 ** 30 }), {}, live).length, 1);
  // Nothing to judge by: not judged, never "no pressure".
  const d = diagnose(inputFrom(live, [], { memory: okValue(memory({ pressureLevel: null })) }));
  assert.ok(d.skipped.some((s) => s.id === 'memory-pressure' && s.because === 'insufficient'), JSON.stringify(d.skipped));
});

const tokRow = (p95: number, mean: number, count = 10): IntervalSummary => ({ family: 'tokenize_ms', type: 'histogram', labels: {}, unit: 'ms', seconds: 2, isNew: false, reset: false, count, sum: mean * count, mean, rate: 5, p50: mean, p95, p99: p95 });
const latRow = (mean: number): IntervalSummary => ({ family: 'request_latency_seconds', type: 'histogram', labels: {}, unit: 's', seconds: 2, isNew: false, reset: false, count: 10, sum: mean * 10, mean, rate: 5, p50: mean, p95: mean * 2, p99: mean * 2 });
const msample = (tok: IntervalSummary, lat: IntervalSummary, t: string): MetricsSample => ({ ok: true, t, url: 'u', scrapeMs: 1, bytes: 1, seconds: 2, resets: [], keys: [{ key: 'tokenize', title: 'tokenize time', family: 'tokenize_ms', series: [tok] }, { key: 'requestLatency', title: 'request latency', family: 'request_latency_seconds', series: [lat] }], series: [tok, lat] });

test("RULES['tokenizer-bottleneck']: a spike against the window's median; a large share of latency", () => {
  const m = (samples: MetricsSample[]) => inputFrom(live, [], { metrics: okValue(samples) });
  assert.deepEqual(runRule(RULES['tokenizer-bottleneck'], m([msample(tokRow(8, 5), latRow(0.1), 'a'), msample(tokRow(9, 5), latRow(0.1), 'b'), msample(tokRow(8, 5), latRow(0.1), 'c')])), []);
  const spike = runRule(RULES['tokenizer-bottleneck'], m([msample(tokRow(8, 5), latRow(0.1), 'a'), msample(tokRow(190, 60), latRow(0.2), 'b'), msample(tokRow(9, 5), latRow(0.1), 'c')]));
  assert.match(spike[0]!.evidence[0]!.text, /at b the interval p95 of tokenize_ms was 190\.0 ms/);
  const twoIntervals = runRule(RULES['tokenizer-bottleneck'], m([msample(tokRow(190, 60), latRow(0.2), 'b'), msample(tokRow(9, 5), latRow(0.1), 'c')]));
  assert.equal(twoIntervals.length, 1, 'the default window (3 samples: 2 intervals) can show a spike');
  const share = runRule(RULES['tokenizer-bottleneck'], m([msample(tokRow(60, 50), latRow(0.1), 'a'), msample(tokRow(60, 50), latRow(0.1), 'b')]));
  assert.match(share[0]!.evidence.map((e) => e.text).join(' '), /tokenization takes 50 % of request latency/);
});

test('diagnose: orphans first; causes deferred while orphans explain it; never "healthy" with evidence missing', () => {
  const spiky = okValue([msample(tokRow(8, 5), latRow(0.1), 'a'), msample(tokRow(190, 60), latRow(0.2), 'b'), msample(tokRow(9, 5), latRow(0.1), 'c')]);
  const withOrphans = diagnose(inputFrom([...live, ...orphanRun(1000, 1)], [], { metrics: spiky }));
  assert.equal(withOrphans.status, 'problems');
  assert.match(withOrphans.verdict, /^1 problem: 2 orphaned workers and 1 helper from run 1/);
  assert.deepEqual(withOrphans.deferred.map((f) => f.id), ['tokenizer-bottleneck'], 'the tokenizer is offered after the orphans');
  const clean = diagnose(inputFrom(live, [], { metrics: spiky }));
  assert.deepEqual(clean.findings.map((f) => f.id), ['tokenizer-bottleneck'], 'without orphans the tokenizer is the cause');
  const zombie = proc(2009, 2000, [], { pgid: 2000, state: 'Z', zombie: true, comm: 'python3', start: 601 });
  const withZombie = diagnose(inputFrom([...live, zombie], [], { metrics: spiky }));
  assert.ok(withZombie.findings.some((f) => f.id === 'tokenizer-bottleneck'), 'a zombie (a warning) does not hold the causes back');
  const partial = diagnose(inputFrom(live));
  assert.equal(partial.status, 'no-problems-partial');
  assert.match(partial.verdict, /^no problem found in what could be checked; not judged: gpu-memory-held, unkillable, shm-leak, memory-pressure, thermal-throttling, tokenizer-bottleneck/);
  assert.ok(partial.skipped.some((k) => k.id === 'thermal-throttling' && /no metrics window/.test(k.reason)), 'thermal without evidence is not judged, not "no throttling"');
  assert.doesNotMatch(partial.verdict, /healthy/);
});

test("RULES['shm-leak']: silent when every segment is in use; a dead run's leaked segments listed with why; error when /dev/shm is full or the leak large; a full /dev/shm of live use a warning; unknown holders not judged", () => {
  const shm = (...a: Parameters<typeof shmOf>) => ({ shm: okValue(shmOf(...a)) });
  const healthy = inputFrom(live, [], shm([seg('psm_live', { made: 601, holders: [2000, 2002] }), seg('sem.mp-live', { made: 601, bytes: 32, holders: [2000] })]));
  assert.deepEqual(runRule(RULES['shm-leak'], healthy), [], 'the healthy case is silent');
  // A run killed at t≈1 (its main and tracker with it) left these; the live run started at 600.
  const dead = orphanRun(1000, 1).slice(1);
  const leaked = [seg('psm_a', { made: 1, bytes: 4 << 20 }), seg('torch_999_1_0', { made: 1.5, bytes: 1 << 20 }), seg('sem.mp-d', { made: 1.2, bytes: 4096, holders: [1002] })];
  const f = runRule(RULES['shm-leak'], inputFrom([...live, ...dead], [], shm([...leaked, seg('psm_live', { made: 601, holders: [2000] })])));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'leaked');
  assert.equal(f[0]!.severity, 'warning');
  assert.match(f[0]!.title, /^3 leaked shared-memory segments \(5\.0 MiB\) in \/dev\/shm, \d+(\.\d)?% full$/);
  const text = f[0]!.evidence.map((e) => `${e.source} ${e.text}`).join('\n');
  assert.match(text, /\/dev\/shm\/psm_a psm_a \(psm, 4\.0 MiB, uid 1000, made .*\): no live process holds it; made or last written at .*, while dead run 1 \(orphaned, this project's\) was alive/);
  assert.match(text, /torch_999_1_0 .*its creator, pid 999 \(its name says\), is gone/);
  assert.match(text, /sem\.mp-d .*held only by processes of dead runs: pid 1002 \(worker\/spawn-worker, run 1, orphaned\) maps it/);
  assert.doesNotMatch(text, /psm_live/, 'the live run\'s segment is not listed');
  assert.deepEqual(f[0]!.pids, [1002]);
  assert.deepEqual(f[0]!.next, ['rerun-doctor clean --shm', 'rerun-doctor explain shm-leak']);
  // Full: an error.
  const full = shmOf(leaked, { usage: { totalBytes: 6 << 20, usedBytes: 5.5 * 2 ** 20, availableBytes: 0.5 * 2 ** 20, percent: 91.7 } });
  assert.equal(runRule(RULES['shm-leak'], inputFrom([...live, ...dead], [], { shm: okValue(full) }))[0]!.severity, 'error');
  assert.equal(runRule(RULES['shm-leak'], inputFrom([...live, ...dead], [], shm(leaked)), { leakedMib: 4 })[0]!.severity, 'error', 'a large leak is an error');
  // A run that is gone entirely: leaked, and clean needs --all-projects for it.
  const gone = runRule(RULES['shm-leak'], inputFrom(live, [], shm([seg('psm_gone', { made: 5 })])));
  assert.match(gone[0]!.evidence[1]!.text, /the run that made it is gone/);
  assert.ok(gone[0]!.next.includes('rerun-doctor clean --shm --all-projects --dry-run'), 'the way to remove a gone run\'s segments is named');
  // Full of live use, nothing leaked: a warning that says so.
  const busy = runRule(RULES['shm-leak'], inputFrom(live, [], { shm: okValue(shmOf([seg('psm_live', { made: 601, holders: [2000], bytes: 60 << 20 })], { usage: { totalBytes: 64 << 20, usedBytes: 60 << 20, availableBytes: 4 << 20, percent: 93.8 } })) }));
  assert.deepEqual([busy[0]!.messageId, busy[0]!.severity], ['full', 'warning']);
  assert.match(busy[0]!.title, /^\/dev\/shm is 93\.8% full \(60\.0 MiB of 64\.0 MiB\), by live processes$/);
  // Holders out of view: not judged (never "no leak").
  const blind = inputFrom(live, [], shm([seg('psm_x', { made: 5 })], { visibility: { complete: false, reason: 'a PID namespace of its own (a container) in the machine IPC namespace' } }));
  const d = diagnose(blind);
  const skipped = d.skipped.find((k) => k.id === 'shm-leak');
  assert.equal(skipped?.because, 'insufficient');
  assert.match(skipped!.reason, /^shared memory: 1 segment \(1\.0 MiB\) in \/dev\/shm that nothing in view holds could not be judged/);
  // Without shared-memory evidence (macOS, an older document): not judged, unavailable.
  assert.equal(diagnose(inputFrom(live)).skipped.find((k) => k.id === 'shm-leak')?.because, 'unavailable');
});

// Workers of the live run with their status and environment, as the census reads them.
const worker = (pid: number, threads: number | null | undefined, more: Partial<ProcessInfo> = {}) => proc(pid, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2, threads, involuntarySwitches: 0, cpusAllowed: '0-1', env: {}, cpuSeconds: 0, ...more });
const server = proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 });
const busy = { cpuSeconds: 2800, involuntarySwitches: 500_000 }; // ~0.93 cores each over the 3000 s since they started
const cpuOk = (cgroups: CpuEvidence['cgroups'] = [], online: string | null = '0-1') => okValue<CpuEvidence>({ online, cgroups });

test("RULES['cpu-oversubscribed']: workers each running every core's worth of threads; silent with one thread each", () => {
  const rule = RULES['cpu-oversubscribed'];
  assert.deepEqual(runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 1, { ...busy, env: { OMP_NUM_THREADS: '1' } }), worker(2003, 1, { ...busy, env: { OMP_NUM_THREADS: '1' } })], [], { cpu: cpuOk() })), [], 'one thread per worker: silent');
  const f = runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 4, busy), worker(2003, 4, busy)], [], { cpu: cpuOk() }));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'contended');
  assert.equal(f[0]!.severity, 'warning');
  assert.equal(f[0]!.confidence, 'high');
  assert.deepEqual(f[0]!.pids, [2002, 2003]);
  assert.equal(f[0]!.title, '2 workers of run 1 have 8 threads on 2 usable cores, and keep them busy');
  const text = f[0]!.evidence.map((e) => e.text).join('\n');
  assert.match(text, /usable cores: 2 \(affinity 0-1 \(2 CPUs\), cgroup quota not read for it\)/);
  assert.match(text, /worker 2002 \(run \d+\): 4 threads; OMP_NUM_THREADS=\(unset\) MKL_NUM_THREADS=\(unset\) OPENBLAS_NUM_THREADS=\(unset\) TORCH_NUM_THREADS=\(unset\); used 0\.93 cores over its lifetime, 167 involuntary context switches\/s/);
  assert.match(text, /the workers used 1\.87 of 2 usable cores on average over their lifetimes/);
  assert.match(f[0]!.fix, /Cap each worker at 1 thread \(2 usable cores \/ 2 workers\): OMP_NUM_THREADS=1 .*docs\/fixes\/thread-caps\.md/);
  // Threads that sleep (an idle pool) cost nothing measurable: a note, low confidence, not a problem.
  const idle = runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 4), worker(2003, 4)], [], { cpu: cpuOk() }));
  assert.deepEqual([idle[0]!.messageId, idle[0]!.severity, idle[0]!.confidence], ['threads', 'info', 'low']);
  // Over a window: the CPU time between the two censuses, not since start.
  const before = inputFrom([INIT, SHELL, server, worker(2002, 4, { cpuSeconds: 100, involuntarySwitches: 0 }), worker(2003, 4, { cpuSeconds: 100, involuntarySwitches: 0 })]).census;
  const windowed = runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 4, { cpuSeconds: 109, involuntarySwitches: 0 }), worker(2003, 4, { cpuSeconds: 109, involuntarySwitches: 0 })], [], { cpu: cpuOk(), censusBefore: before, windowSeconds: 10 }));
  assert.match(windowed[0]!.evidence.map((e) => e.text).join('\n'), /the workers used 1\.80 of 2 usable cores on average over the window/);
  assert.equal(windowed[0]!.severity, 'warning');
  // Preemptions alone (a busy machine preempts everyone) are shown, never decisive.
  const preempted = runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 4, { involuntarySwitches: 900_000 }), worker(2003, 4, { involuntarySwitches: 900_000 })], [], { cpu: cpuOk() }));
  assert.deepEqual([preempted[0]!.messageId, preempted[0]!.severity], ['threads', 'info']);
  assert.match(preempted[0]!.evidence.map((e) => e.text).join('\n'), /300 involuntary context switches\/s of its main thread/);
  // Judged per run: two programs with one wide worker each are not one oversubscribed program, and
  // a dead run's workers are the orphan rules' to report.
  const other = [proc(3000, 900, [PY, 'job.py'], { ...T, pgid: 3000, start: 700 }), proc(3001, 3000, SPAWN, { ...T, pgid: 3000, start: 701, threads: 4, cpusAllowed: '0-1', env: {}, ...busy })];
  assert.deepEqual(runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 4, busy), worker(2003, 1, busy), ...other], [], { cpu: cpuOk() })), []);
  const dead = [proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1 }), proc(1002, 1, SPAWN, { ...T, pgid: 1000, start: 1.1, threads: 4, cpusAllowed: '0-1', ...busy }), proc(1003, 1, SPAWN, { ...T, pgid: 1000, start: 1.2, threads: 4, cpusAllowed: '0-1', ...busy })];
  assert.deepEqual(runRule(rule, inputFrom([INIT, SHELL, server, worker(2002, 1), worker(2003, 1), ...dead], [], { cpu: cpuOk() })), []);
});

test("RULES['cpu-oversubscribed']: usable cores are the affinity within the cgroup quota, not nproc; not judged where threads are not read", () => {
  const rule = RULES['cpu-oversubscribed'];
  const wide4 = (more: Partial<ProcessInfo> = {}) => [INIT, SHELL, server, worker(2002, 2, { ...busy, cpusAllowed: '0-3', ...more }), worker(2003, 2, { ...busy, cpusAllowed: '0-3', ...more })];
  assert.deepEqual(runRule(rule, inputFrom(wide4(), [], { cpu: cpuOk([], '0-3') })), [], 'two threads each on four CPUs fit');
  const quota = { source: '/sys/fs/cgroup/app/cpu.max', quotaUs: 100000, periodUs: 100000, cores: 1 };
  const q = runRule(rule, inputFrom(wide4(), [], { cpu: cpuOk([{ cgroup: '/app', version: 2, pids: [2002, 2003], quota }], '0-3') }));
  assert.equal(q.length, 1, 'a one-core quota makes the same workers oversubscribed');
  assert.match(q[0]!.evidence[0]!.text, /usable cores: 1 \(affinity 0-3 \(4 CPUs\), cgroup quota 1 cores \(100000\/100000 µs, \/sys\/fs\/cgroup\/app\/cpu\.max\)\)/);
  assert.match(q[0]!.fix, /2 single-threaded workers alone fill 1 cores: run fewer workers/);
  // Affinity narrower than the machine: taskset -c 0 on an 8-CPU box.
  assert.equal(runRule(rule, inputFrom(wide4({ cpusAllowed: '0' }), [], { cpu: cpuOk([], '0-7') })).length, 1);
  const skipped = (input: ReturnType<typeof inputFrom>) => diagnose(input).skipped.find((s) => s.id === 'cpu-oversubscribed');
  assert.match(skipped(inputFrom(live))!.reason, /^threads: not in this document \(collected by an older rerun-doctor\)/);
  const mac = inputFrom(wide4());
  assert.match(skipped({ ...mac, platform: 'darwin' })!.reason, /^threads: not read on macOS/);
  assert.match(skipped(inputFrom([INIT, SHELL, server, worker(2002, null), worker(2003, null)]))!.reason, /status was not readable/);
  assert.equal(skipped(inputFrom([INIT, SHELL, server])), undefined, 'no workers: judged, nothing to say');
});

test("RULES['tokenizer-bottleneck'] names oversubscribed workers as a cause when both are seen", () => {
  const spiky = okValue([msample(tokRow(8, 5), latRow(0.1), 'a'), msample(tokRow(190, 60), latRow(0.2), 'b'), msample(tokRow(9, 5), latRow(0.1), 'c')]);
  const over = runRule(RULES['tokenizer-bottleneck'], inputFrom([INIT, SHELL, server, worker(2002, 4, busy), worker(2003, 4, busy)], [], { metrics: spiky, cpu: cpuOk() }));
  assert.match(over[0]!.evidence.at(-1)!.text, /^2 workers of run 1 have 8 threads on 2 usable cores \(cpu-oversubscribed, contention measured\): oversubscribed workers are one cause of tokenize spikes; 1 thread per worker would fit \(docs\/fixes\/thread-caps\.md\)/);
  assert.match(over[0]!.fix, /OMP_NUM_THREADS=1\)/);
  assert.ok(over[0]!.next.includes('rerun-doctor explain cpu-oversubscribed'), 'its page is offered next');
  const alone = runRule(RULES['tokenizer-bottleneck'], inputFrom([INIT, SHELL, server, worker(2002, 1, busy), worker(2003, 1, busy)], [], { metrics: spiky, cpu: cpuOk() }));
  assert.ok(!alone[0]!.evidence.some((e) => /cpu-oversubscribed/.test(e.text)), 'not said without oversubscription');
});

const at = (s: number) => new Date(Date.parse('2026-11-26T10:00:00Z') + s * 1000).toISOString();
// A fork-start run: the workers are copies of the server's command line under it.
const forkRun = (env: Record<string, string> | undefined, loaded: string[] | null | undefined, more: Partial<ProcessInfo> = {}) => [
  INIT,
  SHELL,
  proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600, env, loaded, threads: 1, ...more }),
  proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1, env }),
  proc(2002, 2000, SERVER, { ...T, pgid: 2000, start: 600.2, env }),
  proc(2003, 2000, SERVER, { ...T, pgid: 2000, start: 600.3, env }),
];

test("RULES['fork-unsafe']: TOKENIZERS_PARALLELISM forced on with fork workers; what is evidenced and what inferred", () => {
  const rule = RULES['fork-unsafe'];
  assert.deepEqual(runRule(rule, inputFrom(forkRun({}, []))), [], 'fork workers with nothing unsafe set or loaded');
  assert.deepEqual(runRule(rule, inputFrom(live.map((p) => ({ ...p, env: { TOKENIZERS_PARALLELISM: 'true' }, loaded: ['tokenizers', 'grpc'] })))), [], 'spawn workers start a fresh interpreter: nothing to inherit');
  assert.deepEqual(runRule(rule, inputFrom(forkRun({ TOKENIZERS_PARALLELISM: 'false' }, ['tokenizers']))).map((f) => f.messageId), [], 'forced off: what the fix says');
  const on = runRule(rule, inputFrom(forkRun({ TOKENIZERS_PARALLELISM: 'true' }, [])));
  assert.equal(on.length, 1);
  assert.equal(on[0]!.messageId, 'tokenizersParallel');
  assert.equal(on[0]!.title, 'server 2000 forks 2 workers with TOKENIZERS_PARALLELISM=true: a tokenizer used before the fork can hang them');
  assert.deepEqual(on[0]!.pids, [2000, 2002, 2003]);
  assert.equal(on[0]!.confidence, 'low', 'no tokenizer seen in the server: the hang is inferred');
  assert.match(on[0]!.evidence[0]!.text, /2 workers \(2002, 2003\) are copies of server 2000's command line under it: the fork start method \(evidenced\)/);
  assert.match(on[0]!.evidence[2]!.text, /not mapped in server 2000/);
  const seen = runRule(rule, inputFrom(forkRun({ TOKENIZERS_PARALLELISM: '1' }, ['tokenizers'], { threads: 5 })));
  assert.equal(seen[0]!.confidence, 'high');
  assert.match(seen[0]!.evidence.map((e) => e.text).join('\n'), /tokenizers library \(its Rust extension\) is mapped in server 2000 \(evidenced\); that it ran before the fork is inferred\nserver 2000 runs 5 threads now/);
  const unset = runRule(rule, inputFrom(forkRun({}, ['tokenizers'])));
  assert.deepEqual([unset[0]!.messageId, unset[0]!.severity, unset[0]!.confidence], ['tokenizersUnset', 'info', 'low']);
});

test("RULES['fork-unsafe']: grpc running in a fork server without fork support; silent when only imported; macOS; older documents", () => {
  const rule = RULES['fork-unsafe'];
  const running = { grpcThreads: { count: 3, names: ['default-executo', 'grpc_global_tim', 'resolver-execut'] } };
  const g = runRule(rule, inputFrom(forkRun({}, ['grpc'], running)));
  assert.deepEqual([g[0]!.messageId, g[0]!.severity, g[0]!.confidence], ['grpcBeforeFork', 'warning', 'low']);
  assert.equal(g[0]!.title, 'server 2000 runs grpc and forks 2 workers, with no fork support set: they can hang in grpc');
  assert.match(g[0]!.evidence[2]!.text, /3 grpc threads \(default-executo, grpc_global_tim, resolver-execut\) run in server 2000: a grpc channel or server exists in the process its workers are forked from \(evidenced\); that it existed at the fork is inferred/);
  assert.match(g[0]!.evidence[3]!.text, /GRPC_ENABLE_FORK_SUPPORT unset, GRPC_POLL_STRATEGY unset/);
  // grpc's own multiprocessing example: imported before the fork, servers created in the workers.
  assert.deepEqual(runRule(rule, inputFrom(forkRun({}, ['grpc'], { grpcThreads: { count: 0, names: [] } }))), [], 'imported only: no grpc thread in the main');
  const unknown = runRule(rule, inputFrom(forkRun({}, ['grpc'], { grpcThreads: null })));
  assert.deepEqual([unknown[0]!.severity, unknown[0]!.confidence], ['info', 'low'], 'threads unreadable: a note');
  assert.deepEqual(runRule(rule, inputFrom(forkRun({ GRPC_ENABLE_FORK_SUPPORT: 'true', GRPC_POLL_STRATEGY: 'poll' }, ['grpc'], running))), [], 'fork support on, with a poller it works with');
  assert.deepEqual(runRule(rule, inputFrom(forkRun({ GRPC_ENABLE_FORK_SUPPORT: '1' }, ['grpc'], running))), [], 'the default poller (epoll1) supports it');
  assert.match(runRule(rule, inputFrom(forkRun({ GRPC_ENABLE_FORK_SUPPORT: 'true', GRPC_POLL_STRATEGY: 'epollex' }, ['grpc'], running)))[0]!.evidence[3]!.text, /works with the epoll1 and poll strategies only/);
  const mac = inputFrom(forkRun(undefined, undefined));
  const m = runRule(rule, { ...mac, platform: 'darwin' });
  assert.deepEqual([m[0]!.messageId, m[0]!.severity, m[0]!.confidence], ['objcFork', 'info', 'low']);
  const skipped = diagnose(inputFrom(forkRun({}, undefined))).skipped.find((s) => s.id === 'fork-unsafe');
  assert.match(skipped!.reason, /not in this document \(collected by an older rerun-doctor\)/);
  assert.equal(diagnose(inputFrom(live)).skipped.find((s) => s.id === 'fork-unsafe'), undefined, 'no fork workers: judged');
});

const pidFiles = (pid: number, newest: number | null, liveGauges = 0, files = 2): MultiprocDir['byPid'][number] => ({ pid, files, liveGauges, bytes: files * 1048576, newest: newest === null ? null : at(newest) });
const mpDir = (byPid: MultiprocDir['byPid'], pids = [2002]): MultiprocDir => ({ dir: '/tmp/mp', key: 'PROMETHEUS_MULTIPROC_DIR', pids, source: '/proc/2002/root/tmp/mp', error: null, dbFiles: byPid.reduce((a, r) => a + r.files, 0), other: 0, byPid, pidsTruncated: false, truncated: false });
const workersGauge = (series: Array<{ pid?: string; value: number }>): MetricsSample => ({ ok: true, t: 'a', url: 'http://127.0.0.1:8080/metrics', scrapeMs: 42, bytes: 900, seconds: null, resets: [], keys: [{ key: 'workerCount', title: 'worker count', family: 'workers', series: series.map((x) => ({ family: 'workers', type: 'gauge', labels: x.pid ? { pid: x.pid } : ({} as Record<string, string>), unit: null, value: x.value })) }], series: [] });

test("RULES['stale-multiproc-dir']: earlier runs' .db files in the live run's directory; silent on a fresh one", () => {
  const rule = RULES['stale-multiproc-dir'];
  const run = (d: MultiprocDir, extra = {}) => runRule(rule, inputFrom(live, [], { multiproc: okValue([d]), ...extra }));
  assert.deepEqual(run(mpDir([pidFiles(2002, 3000), pidFiles(2000, 3000)])), [], "only the live run's own files");
  assert.deepEqual(run(mpDir([pidFiles(2002, 3000), pidFiles(2050, 700)])), [], "a worker of this run that exited: its counters are kept on purpose");
  const f = run(mpDir([pidFiles(2002, 3000), pidFiles(1500, 100, 1), pidFiles(1501, 120)]), { metrics: okValue([workersGauge([{ pid: '2002', value: 1 }, { pid: '1500', value: 1 }, { pid: '1501', value: 1 }])]) });
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'stale');
  assert.equal(f[0]!.title, '/tmp/mp holds 4 .db files of 2 dead pids from earlier runs: every scrape merges them');
  assert.deepEqual(f[0]!.pids, [2002]);
  const text = f[0]!.evidence.map((e) => e.text).join('\n');
  assert.match(text, /PROMETHEUS_MULTIPROC_DIR=\/tmp\/mp in the environment of 1 live process \(2002\), of run 1 \(started 2026-11-26T10:10:00\.000Z\)/);
  assert.match(text, /6 \.db files for 3 pids: 2 of the live run, 4 of 2 dead pids last written before it started/);
  assert.match(text, /1 live-mode gauge file \(gauge_live\*\) of 1 dead pid \(1500\): mark_process_dead\(\) was not called/);
  assert.match(text, /workers has 3 series by pid, 2 of them for pids that are dead \(1500, 1501\), with 1 worker alive/);
  assert.match(text, /1 scrape took 42 ms on average/);
  assert.match(f[0]!.fix, /docs\/fixes\/multiproc-dir\.md.*Never delete the files of a run that is still running/);
  assert.equal(run(mpDir([pidFiles(1500, 100, 0, 1)]), {}).length, 1, 'one file is enough by default');
  assert.deepEqual(runRule(rule, inputFrom(live, [], { multiproc: okValue([mpDir([pidFiles(1500, 100, 0, 1)])]) }), { minStaleFiles: 2 }), [], 'minStaleFiles');
  // A live process outside the run (a reused pid, another server sharing the directory) is not stale.
  assert.deepEqual(run(mpDir([pidFiles(900, 100)])), []);
});

test("RULES['stale-multiproc-dir']: dead live-gauges and a worker gauge above the live workers; not judged without the listing", () => {
  const rule = RULES['stale-multiproc-dir'];
  const run = (d: MultiprocDir, extra = {}) => runRule(rule, inputFrom(live, [], { multiproc: okValue([d]), ...extra }));
  const g = run(mpDir([pidFiles(2002, 3000), pidFiles(2050, 700, 1)]));
  assert.equal(g[0]!.messageId, 'deadGauges');
  const sum = run(mpDir([pidFiles(2002, 3000), pidFiles(2050, 700)]), { metrics: okValue([workersGauge([{ value: 6 }])]) });
  assert.equal(sum[0]!.messageId, 'gauge');
  assert.match(sum[0]!.evidence.map((e) => e.text).join('\n'), /workers reads 6 with 1 worker alive: the directory holds files of 1 dead pid/);
  assert.deepEqual(run(mpDir([pidFiles(2002, 3000)]), { metrics: okValue([workersGauge([{ value: 6 }])]) }), [], 'a gauge alone, with no dead files, is not this cause');
  assert.deepEqual(run({ ...mpDir([]), error: 'no such directory (or the process ended)' }), []);
  const skipped = diagnose(inputFrom(live)).skipped.find((s) => s.id === 'stale-multiproc-dir');
  assert.match(skipped!.reason, /^multiprocess directory: none in this test/);
  assert.equal(diagnose(inputFrom(live, [], { multiproc: okValue([]) })).skipped.find((s) => s.id === 'stale-multiproc-dir'), undefined, 'no directory named: judged');
});
