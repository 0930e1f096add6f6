// The GPU probes end to end, on any Linux CI box: fake `nvidia-smi`, `ioreg`, `sysctl` and
// `footprint` (test/fixtures/bin/gpu) first on PATH print the captures of a scenario directory
// (test/fixtures/gpu/<scenario>, all reconstructed: see SOURCE.md there) and reject any other argv.
// The container case reads /dev/nvidia* holders from a /proc tree built here with real symlinks.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessDenied } from '../../src/host/errors.js';
import { createHost, type Host } from '../../src/host/host.js';
import type { GpuEvidence } from '../../src/model/gpu.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { SnapshotIssue } from '../../src/model/snapshot.js';
import { clockQueryArgv, computeAppsArgv, gpuQueryArgv } from '../../src/os/any/nvidia-smi.js';
import { collectGpu } from '../../src/probes/gpu.js';
import { appleGpu, IOREG_ARGV } from '../../src/probes/gpu.darwin.js';
import { nvidiaGpu } from '../../src/probes/gpu.nvidia.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAKE_BIN = resolve(here, '../fixtures/bin/gpu');
const scenario = (name: string) => resolve(here, '../fixtures/gpu', name);
const MiB = 1024 * 1024;
const UUID = 'GPU-8f3c2a71-5d4e-4b9a-a0c6-2e7d91b4f0a3';

const GPU_Q = gpuQueryArgv().join(' ');
const APPS_Q = computeAppsArgv().join(' ');
const CLOCKS_FULL = clockQueryArgv({ naming: 'event', counters: true }).join(' ');
const CLOCKS_THROTTLE = clockQueryArgv({ naming: 'throttle', counters: false }).join(' ');

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `rerun-doctor-gpu-${prefix}-`));
  tempDirs.push(d);
  return d;
}

interface HostOpts {
  path?: string;
  procRoot?: string;
}
function gpuHost(platform: 'linux' | 'darwin', fixtureDir: string, o: HostOpts = {}): Host {
  const path = o.path ?? `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`;
  return createHost({ platform, env: { ...process.env, PATH: path, RERUN_DOCTOR_FIXTURE_DIR: fixtureDir }, procRoot: o.procRoot });
}

/** Absolute path of a system tool the fakes need (cat), found on the real PATH. */
function systemTool(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} not found on PATH`);
}

/** A bin dir holding exactly the given entries, used as the whole PATH. */
function isolatedBin(entries: Record<string, { link: string } | { script: string }>): string {
  const dir = tempDir('bin');
  for (const [name, e] of Object.entries(entries)) {
    if ('link' in e) symlinkSync(e.link, join(dir, name));
    else writeFileSync(join(dir, name), `#!/bin/sh\n${e.script}\n`, { mode: 0o755 });
  }
  return dir;
}

/**
 * A /proc tree: pid → { fd number → link target }. `null` makes a pid directory without `fd/`
 * (a process that exited between the listing and the read).
 */
function procTree(pids: Record<number, Record<number, string> | null>): string {
  const root = tempDir('proc');
  for (const [pid, fds] of Object.entries(pids)) {
    mkdirSync(join(root, pid));
    if (fds === null) continue;
    mkdirSync(join(root, pid, 'fd'));
    for (const [fd, target] of Object.entries(fds)) symlinkSync(target, join(root, pid, 'fd', fd));
  }
  // Non-pid entries a real /proc has: never taken for processes.
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'uptime'), '350735.47 234388.90\n');
  return root;
}

/** The /proc of the host the scenarios' pids run on: nvidia-smi names host pids, which must be here to be matched. */
const HOST_PROC = (...pids: number[]) => procTree(Object.fromEntries(pids.map((pid) => [pid, { 3: '/dev/nvidiactl', 4: '/dev/nvidia0', 5: '/dev/nvidia-uvm' }])));

function okValue(o: Outcome<GpuEvidence>): { value: GpuEvidence; issues: SnapshotIssue[] } {
  assert.equal(o.status, 'ok', o.status === 'ok' ? '' : o.reason);
  if (o.status !== 'ok') throw new Error('unreachable');
  return { value: o.value, issues: o.issues };
}

/** The reason of an outcome that must have the given non-ok status. */
function reasonOf(o: Outcome<GpuEvidence>, status: 'unavailable' | 'failed'): string {
  if (o.status === 'ok') assert.fail(`expected ${status}, got ok`);
  assert.equal(o.status, status, o.reason);
  return o.reason;
}

// ---------------------------------------------------------------- NVIDIA

test('nvidia-live: one GPU, the live server\'s two workers with ~5 GB each, no throttling', async () => {
  const outcome = await nvidiaGpu(gpuHost('linux', scenario('nvidia-live'), { procRoot: HOST_PROC(5312, 5313) }), {});
  const { value, issues } = okValue(outcome);
  assert.equal(outcome.source, GPU_Q);
  assert.deepEqual(issues, []);
  assert.equal(value.vendor, 'nvidia');
  assert.equal(value.driverVersion, '550.127.05');
  assert.deepEqual(value.devices, [
    {
      index: 0,
      uuid: UUID,
      name: 'NVIDIA A10G',
      memoryUsedMiB: 10460,
      memoryTotalMiB: 23028,
      utilizationPercent: 37,
      temperatureC: 54,
      activeEventReasons: [],
      eventReasonCounters: { sw_thermal_slowdown: 0, hw_thermal_slowdown: 0, sw_power_cap: 0 },
    },
  ]);
  assert.deepEqual(value.processes, [
    { pid: 5312, usedMemoryMiB: 5212, gpuUuid: UUID, source: 'nvidia-smi' },
    { pid: 5313, usedMemoryMiB: 5212, gpuUuid: UUID, source: 'nvidia-smi' },
  ]);
  // Three calls, in order; no /proc scan since nvidia-smi named the holders.
  assert.deepEqual(value.sources, [GPU_Q, APPS_Q, CLOCKS_FULL]);
});

test('nvidia-orphans: the same memory held by two pids (the orphans of a census), GPU idle', async () => {
  const { value, issues } = okValue(await nvidiaGpu(gpuHost('linux', scenario('nvidia-orphans'), { procRoot: HOST_PROC(4103, 4104, 5312) }), { pids: [5312] }));
  assert.deepEqual(issues, []);
  // compute-apps is reported whole, whatever pids were asked about: orphans are exactly the pids
  // the caller does not know.
  assert.deepEqual(
    value.processes.map((p) => [p.pid, p.usedMemoryMiB, p.source]),
    [
      [4103, 5212, 'nvidia-smi'],
      [4104, 5212, 'nvidia-smi'],
    ],
  );
  assert.equal(value.devices[0]?.utilizationPercent, 0);
  assert.equal(value.devices[0]?.memoryUsedMiB, 10460);
  assert.deepEqual(value.devices[0]?.activeEventReasons, [], 'gpu_idle (mask 0x1) is not reported as a slowdown');
});

test('nvidia-container: memory in use, no compute process listed: holders found through /proc/PID/fd', async () => {
  const procRoot = procTree({
    4242: { 3: '/dev/nvidiactl', 4: '/dev/nvidia0', 5: '/dev/nvidia-uvm', 6: 'socket:[88231]' },
    4243: { 7: '/dev/nvidia0' },
    4300: { 0: '/dev/null', 1: '/dev/nvidia-modeset', 2: 'pipe:[4411]' },
    4301: null,
  });
  const host = gpuHost('linux', scenario('nvidia-container'), { procRoot });
  const { value, issues } = okValue(await nvidiaGpu(host, {}));
  assert.deepEqual(issues, []);
  assert.deepEqual(value.processes, [
    { pid: 4242, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' },
    { pid: 4243, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' },
  ]);
  assert.deepEqual(value.sources, [GPU_Q, APPS_Q, CLOCKS_FULL, `${procRoot}/[pid]/fd → /dev/nvidia*`]);
  // [N/A] counters are unknown, so absent; mask 0x1 is gpu_idle only.
  assert.deepEqual(value.devices[0]?.eventReasonCounters, {});
  assert.deepEqual(value.devices[0]?.activeEventReasons, []);

  // With pids: only those fd tables are read (99999 does not exist, 4300 holds no GPU node).
  const only = okValue(await nvidiaGpu(host, { pids: [4300, 4243, 99999, 4243] }));
  assert.deepEqual(only.value.processes.map((p) => p.pid), [4243]);
});

test('nvidia-container: unreadable fd tables are an access-denied issue naming the pids', async () => {
  const procRoot = procTree({ 4242: { 4: '/dev/nvidia0' }, 4300: { 0: '/dev/null' } });
  const base = gpuHost('linux', scenario('nvidia-container'), { procRoot });
  // Root reads every fd table, so EACCES is simulated at the Host seam.
  const host: Host = {
    ...base,
    proc: {
      ...base.proc,
      fdLinks: (pid: number) => {
        if (pid === 4300) throw new AccessDenied(`${procRoot}/4300/fd/: access denied`);
        return base.proc.fdLinks(pid);
      },
    },
  };
  const { value, issues } = okValue(await nvidiaGpu(host, {}));
  assert.deepEqual(value.processes.map((p) => p.pid), [4242]);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.kind, 'access-denied');
  assert.deepEqual(issues[0]?.pids, [4300]);
});

test('nvidia-old-driver: clocks_event_reasons rejected, the throttle names used instead', async () => {
  const { value, issues } = okValue(await nvidiaGpu(gpuHost('linux', scenario('nvidia-old-driver'), { procRoot: HOST_PROC(5312, 5313) }), {}));
  assert.deepEqual(issues, [], 'falling back is normal on an old driver, not an issue');
  // Straight from the rejected event names to the throttle names: no event query without counters
  // (the fake has no capture for it and would fail).
  assert.deepEqual(value.sources, [GPU_Q, APPS_Q, CLOCKS_FULL, CLOCKS_THROTTLE]);
  assert.equal(value.driverVersion, '470.256.02');
  assert.deepEqual(value.devices[0]?.activeEventReasons, ['sw_power_cap']);
  assert.deepEqual(value.devices[0]?.eventReasonCounters, {}, 'no counters under the old names');
  assert.deepEqual(value.processes.map((p) => p.pid), [5312, 5313]);
});

test('nvidia-thermal: hw_thermal_slowdown Active, with its microsecond counter', async () => {
  const { value, issues } = okValue(await nvidiaGpu(gpuHost('linux', scenario('nvidia-thermal'), { procRoot: HOST_PROC(5312, 5313) }), {}));
  assert.deepEqual(issues, []);
  const d = value.devices[0];
  assert.ok(d, 'one device');
  assert.equal(d.temperatureC, 91);
  assert.deepEqual(d.activeEventReasons, ['hw_thermal_slowdown', 'hw_slowdown']);
  assert.deepEqual(d.eventReasonCounters, { sw_thermal_slowdown: 0, hw_thermal_slowdown: 187654321, sw_power_cap: 2500000 });
});

test('nvidia-no-driver: nvidia-smi cannot reach the driver (exit 9): unavailable, with its words', async () => {
  const outcome = await nvidiaGpu(gpuHost('linux', scenario('nvidia-no-driver')), {});
  assert.equal(reasonOf(outcome, 'unavailable'), "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
});

test('nvidia-smi absent: unavailable, and said so', async () => {
  const outcome = await nvidiaGpu(gpuHost('linux', scenario('nvidia-live'), { path: tempDir('empty-path') }), {});
  const outcomeReason = reasonOf(outcome, 'unavailable');
  assert.ok(outcomeReason.includes('nvidia-smi is not installed'), outcomeReason);
});

test('nvidia-smi failing otherwise is a failure with its status and first line', async () => {
  const bin = isolatedBin({ 'nvidia-smi': { script: 'echo "Unable to determine the device handle for GPU0000:00:09.0: Unknown Error"\nexit 15' } });
  const outcome = await nvidiaGpu(gpuHost('linux', scenario('nvidia-live'), { path: bin }), {});
  const outcomeReason = reasonOf(outcome, 'failed');
  assert.ok(outcomeReason.includes('exit status 15: Unable to determine the device handle'), outcomeReason);

  const garbled = isolatedBin({ 'nvidia-smi': { script: 'echo "0, GPU-x, NVIDIA A10G"' } });
  const parse = await nvidiaGpu(gpuHost('linux', scenario('nvidia-live'), { path: garbled }), {});
  const parseReason = reasonOf(parse, 'failed');
  assert.ok(parseReason.includes('0, GPU-x, NVIDIA A10G'), parseReason);
});

test('compute-apps and clock queries failing are issues; the /proc scan still finds holders', async () => {
  // Only the per-GPU capture: the fake fails the other queries with exit 2 ("missing capture").
  const dir = tempDir('partial');
  cpSync(join(scenario('nvidia-live'), 'query-gpu.out'), join(dir, 'query-gpu.out'));
  const procRoot = procTree({ 5312: { 9: '/dev/nvidia0' } });
  const { value, issues } = okValue(await nvidiaGpu(gpuHost('linux', dir, { procRoot }), {}));
  assert.deepEqual(issues.map((i) => i.kind), ['failed', 'failed']);
  assert.ok(issues[0]?.message.startsWith(`compute processes unknown: ${APPS_Q}: exit status 2: fake nvidia-smi: missing capture`), issues[0]?.message);
  assert.ok(issues[1]?.message.startsWith('clock event reasons unknown'), issues[1]?.message);
  assert.deepEqual(value.devices[0]?.activeEventReasons, []);
  assert.deepEqual(value.processes, [{ pid: 5312, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' }]);
});

test('the fake nvidia-smi fails loudly on an argv it does not know', async () => {
  const host = gpuHost('linux', scenario('nvidia-live'));
  const res = await host.run(['nvidia-smi', '--query-gpu=index,memory.used', '--format=csv,noheader']);
  assert.equal(res.code, 2);
  assert.ok(res.stderr.includes('fake nvidia-smi: unrecognised arguments'), res.stderr);
});

// ---------------------------------------------------------------- Apple

test('apple-m1: ioreg system figure and footprint for the given pids only (memory pressure is the memory probe\'s)', async () => {
  const outcome = await appleGpu(gpuHost('darwin', scenario('apple-m1')), { pids: [4104, 4103, 4103] });
  const { value, issues } = okValue(outcome);
  assert.deepEqual(issues, []);
  assert.equal(outcome.source, IOREG_ARGV.join(' '));
  assert.equal(value.vendor, 'apple');
  assert.equal(value.inUseSystemMemoryBytes, 340983808);
  assert.equal(value.memoryPressureLevel, undefined, 'sysctl is read once, by the memory probe');
  assert.equal(value.driverVersion, null);
  assert.deepEqual(value.devices, [
    {
      index: 0,
      uuid: null,
      name: 'Apple M1 Pro',
      memoryUsedMiB: 340983808 / MiB,
      memoryTotalMiB: null,
      utilizationPercent: 2,
      temperatureC: null,
      activeEventReasons: [],
      eventReasonCounters: {},
    },
  ]);
  // IOAccelerator (graphics) dirty: 2624 KB and 212 MB. Not the footprint total, not RSS; the
  // footprint total (the header's figure) is kept apart as footprintMiB.
  assert.deepEqual(value.processes, [
    { pid: 4103, usedMemoryMiB: 2624 / 1024, gpuUuid: null, source: 'footprint', footprintMiB: 60 },
    { pid: 4104, usedMemoryMiB: 212, gpuUuid: null, source: 'footprint', footprintMiB: 248 },
  ]);
  assert.deepEqual(value.sources, [IOREG_ARGV.join(' '), 'footprint 4103', 'footprint 4104']);

  // No pids: no footprint at all.
  const none = okValue(await appleGpu(gpuHost('darwin', scenario('apple-m1')), {}));
  assert.deepEqual(none.value.processes, []);
  assert.deepEqual(none.value.sources, [IOREG_ARGV.join(' ')]);
});

test('apple: a pid footprint cannot read is an issue; the others still count', async () => {
  const { value, issues } = okValue(await appleGpu(gpuHost('darwin', scenario('apple-m1')), { pids: [4103, 999] }));
  assert.deepEqual(value.processes.map((p) => p.pid), [4103]);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.kind, 'failed');
  assert.deepEqual(issues[0]?.pids, [999]);
  assert.ok(issues[0]?.message.includes('999: exit status 2: fake footprint: missing capture'), issues[0]?.message);
});

test('apple: footprint absent is an issue; ioreg absent is unavailable, and said so', async () => {
  const cat = { link: systemTool('cat') };
  const noFootprint = isolatedBin({ ioreg: { link: join(FAKE_BIN, 'ioreg') }, sysctl: { link: join(FAKE_BIN, 'sysctl') }, cat });
  const a = okValue(await appleGpu(gpuHost('darwin', scenario('apple-m1'), { path: noFootprint }), { pids: [4103, 4104] }));
  assert.deepEqual(a.value.processes, []);
  assert.equal(a.value.inUseSystemMemoryBytes, 340983808);
  assert.deepEqual(a.issues.map((i) => [i.kind, i.pids]), [['unavailable', [4103, 4104]]]);
  assert.ok(a.issues[0]?.message.includes('footprint is not installed'), a.issues[0]?.message);

  const onlyIoreg = isolatedBin({ ioreg: { link: join(FAKE_BIN, 'ioreg') }, cat });
  const b = okValue(await appleGpu(gpuHost('darwin', scenario('apple-m1'), { path: onlyIoreg }), {}));
  assert.deepEqual(b.issues, [], 'without sysctl the GPU probe has nothing missing');

  const outcome = await appleGpu(gpuHost('darwin', scenario('apple-m1'), { path: tempDir('empty-path') }), { pids: [4103] });
  const outcomeReason = reasonOf(outcome, 'unavailable');
  assert.ok(outcomeReason.includes('ioreg is not installed'), outcomeReason);
});

test('apple: ioreg with no IOAccelerator is unavailable', async () => {
  const bin = isolatedBin({ ioreg: { script: 'exit 0' } });
  const outcome = await appleGpu(gpuHost('darwin', scenario('apple-m1'), { path: bin }), {});
  const outcomeReason = reasonOf(outcome, 'unavailable');
  assert.ok(outcomeReason.includes('no IOAccelerator'), outcomeReason);
});

// ---------------------------------------------------------------- platform pick

test('collectGpu picks nvidia-smi on Linux and ioreg/footprint on macOS', async () => {
  const linux = okValue(await collectGpu(gpuHost('linux', scenario('nvidia-live'))));
  assert.equal(linux.value.vendor, 'nvidia');
  const darwin = okValue(await collectGpu(gpuHost('darwin', scenario('apple-m1')), { pids: [4103] }));
  assert.equal(darwin.value.vendor, 'apple');
  assert.deepEqual(darwin.value.processes.map((p) => p.pid), [4103]);
  // Each platform reports its own tool missing.
  const empty = tempDir('empty-path');
  const l = await collectGpu(gpuHost('linux', scenario('nvidia-live'), { path: empty }));
  const d = await collectGpu(gpuHost('darwin', scenario('apple-m1'), { path: empty }));
  assert.ok(reasonOf(l, 'unavailable').includes('nvidia-smi'), 'linux names nvidia-smi');
  assert.ok(reasonOf(d, 'unavailable').includes('ioreg'), 'darwin names ioreg');
});
