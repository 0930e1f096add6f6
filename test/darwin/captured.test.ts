// The darwin parsers and probes on REAL macOS outputs: test/fixtures/darwin/captured/, each
// published by someone who ran the command on a Mac (test/fixtures/darwin/SOURCE.md says who and
// where). None is exactly our argv's output (nobody published that), so each test says which
// property of the real text it pins down; where a test adds to a capture, it says what and why.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost } from '../../src/host/host.js';
import type { GpuEvidence } from '../../src/model/gpu.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { ListeningSocket, ProcessInfo, SnapshotIssue } from '../../src/model/snapshot.js';
import type { ThermalEvidence } from '../../src/model/thermal.js';
import { ioAcceleratorDirtyBytes, parseFootprint } from '../../src/os/darwin/footprint.js';
import { parseIoregAccelerators } from '../../src/os/darwin/ioreg.js';
import { parseLsofCwd, parseLsofRecords, splitLsofStderr } from '../../src/os/darwin/lsof.js';
import { parsePmsetTherm } from '../../src/os/darwin/pmset.js';
import { parseCpuTime, splitCommand } from '../../src/os/darwin/ps.js';
import { appleGpu } from '../../src/probes/gpu.darwin.js';
import { darwinProcesses, lsofCwdArgv, PS_COMM_ARGV } from '../../src/probes/processes.darwin.js';
import { darwinSockets, LSOF_LISTEN_ARGV } from '../../src/probes/sockets.darwin.js';
import { darwinThermal } from '../../src/probes/thermal.darwin.js';

const here = dirname(fileURLToPath(import.meta.url));
const CAPTURED = resolve(here, '../fixtures/darwin/captured');
const captured = (tool: string, file: string): string => readFileSync(join(CAPTURED, tool, file), 'utf8');
const SRC = 'capture';

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function okValue<T>(o: Outcome<T>): { value: T; issues: SnapshotIssue[] } {
  assert.equal(o.status, 'ok', o.status === 'ok' ? '' : o.reason);
  if (o.status !== 'ok') throw new Error('unreachable');
  return { value: o.value, issues: o.issues };
}

/**
 * A bin dir of one-line fake tools (`name` → shell body) used as the whole PATH, so that a real
 * tool on this machine never stands in. Each fake checks its argv and prints files from `dir`.
 */
function fakeBin(tools: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rerun-doctor-captured-'));
  tempDirs.push(dir);
  for (const [name, body] of Object.entries(tools)) writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

function dataDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rerun-doctor-captured-data-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const darwinHost = (bin: string) => createHost({ platform: 'darwin', env: { ...process.env, PATH: `${bin}${delimiter}/usr/bin${delimiter}/bin` } });

// ---------------------------------------------------------------- ioreg

test('ioreg, real Intel/AMD key names (iMac 2019, eul#187): inUseSysMemoryBytes is the system memory in use', () => {
  // The capture is Swift's print of PerformanceStatistics (`["k": v, …]`), not ioreg text. Turned
  // into ioreg's one-line dictionary mechanically (`"k": v` → `"k"=v`) and put under an object line
  // of the AMD driver's class; every key and value is the capture's.
  const swift = captured('ioreg', 'eul-187-imac2019-perfstats-keys-swiftdict.txt');
  const body = swift.slice(swift.indexOf('[') + 1).trim().replace(/,$/, '').replace(/"([^"]+)": /g, '"$1"=').replace(/, "/g, ',"');
  const text = [
    '+-o AMDRadeonX5000_AMDNavi10GraphicsAccelerator  <class AMDRadeonX5000_AMDNavi10GraphicsAccelerator, id 0x1000004a2, registered, matched, active, busy 0 (0 ms), retain 20>',
    '    {',
    `      "PerformanceStatistics" = {${body}}`,
    '    }',
  ].join('\n');
  const [amd] = parseIoregAccelerators(text, SRC);
  assert.ok(amd, 'one accelerator');
  assert.equal(amd.performanceStatistics?.gartUsedBytes, 33492992, 'the real dictionary parses whole');
  assert.equal(amd.inUseSystemMemoryBytes, 33492992, 'inUseSysMemoryBytes, the key Intel/AMD drivers use');
  assert.equal(amd.vramUsedBytes, null, 'no VRAM key in this capture: none invented');
  assert.equal(amd.deviceUtilizationPercent, 0);
});

test('ioreg, real Apple Silicon outputs: M1 Pro (partial) and M4 (verbatim) read "In use system memory", never the (driver) key', () => {
  const [m1] = parseIoregAccelerators(captured('ioreg', 'stats-1094-m1pro-monterey-12.6.txt'), SRC);
  assert.deepEqual([m1?.className, m1?.model, m1?.inUseSystemMemoryBytes, m1?.vramUsedBytes, m1?.deviceUtilizationPercent], ['AGXAcceleratorG13X', null, 340983808, null, 2]);
  const [m4] = parseIoregAccelerators(captured('ioreg', 'm4-gotest-verbatim-ioreg-r-d1.txt'), SRC);
  assert.deepEqual([m4?.className, m4?.model, m4?.inUseSystemMemoryBytes, m4?.vramUsedBytes, m4?.deviceUtilizationPercent], ['AGXAcceleratorG16G', 'Apple M4', 430571520, null, 17]);
  assert.equal(m4?.performanceStatistics?.['In use system memory (driver)'], 0);
  assert.equal(m4?.performanceStatistics?.['Alloc system memory'], 4597121024, 'what the driver reserved is kept, not taken for in use');
});

test('ioreg, real Intel iGPU and NVIDIA dGPU outputs (partial): their property lines parse; no figure is made up', () => {
  const [icl] = parseIoregAccelerators(captured('ioreg', 'stats-649-intel-icl-gen11-partial.txt'), SRC);
  assert.deepEqual([icl?.className, icl?.performanceStatistics, icl?.inUseSystemMemoryBytes], ['IntelAccelerator', null, null]);
  // The NVIDIA paste starts mid-object (no `+-o` line) and has trailing spaces after values: under
  // an object line (added here; the paste has none), every line is a property and parses.
  const nv = parseIoregAccelerators(`+-o nvAccelerator  <class nvAccelerator, id 0x1000002b3, registered, matched, active, busy 0 (1 ms), retain 18>\n${captured('ioreg', 'stats-109-nvidia-gk-partial.txt')}`, SRC);
  assert.deepEqual(nv.map((a) => [a.className, a.inUseSystemMemoryBytes, a.vramUsedBytes]), [['nvAccelerator', null, null]]);
  assert.deepEqual(parseIoregAccelerators(captured('ioreg', 'stats-109-nvidia-gk-partial.txt'), SRC), [], 'properties outside any object are not an accelerator');
});

test('apple GPU probe on an Intel Mac: the iGPU\'s system memory is the system figure, the dGPU\'s VRAM stays apart', async () => {
  // The Intel and AMD lines use the real key names of the captures (inUseSysMemoryBytes,
  // vramUsedBytes as Intel-Mac tools read it); the values are made up.
  const ioreg = [
    '+-o IntelAccelerator  <class IntelAccelerator, id 0x100000412, registered, matched, active, busy 0 (14 ms), retain 106>',
    '    {',
    '      "PerformanceStatistics" = {"inUseSysMemoryBytes"=268435456,"Device Utilization %"=3}',
    '    }',
    '+-o AMDRadeonX6000_AMDNavi14GraphicsAccelerator  <class AMDRadeonX6000_AMDNavi14GraphicsAccelerator, id 0x1000004a2, registered, matched, active, busy 0 (0 ms), retain 20>',
    '    {',
    '      "PerformanceStatistics" = {"vramUsedBytes"=2147483648,"inUseSysMemoryBytes"=33492992,"Device Utilization %"=41}',
    '      "model" = <"AMD Radeon Pro 5500M">',
    '    }',
  ].join('\n');
  const data = dataDir({ 'ioreg.out': ioreg });
  const bin = fakeBin({
    ioreg: `[ "$*" = "-r -d 1 -w 0 -c IOAccelerator" ] || exit 2; cat '${data}/ioreg.out'`,
    sysctl: `[ "$*" = "-n kern.memorystatus_vm_pressure_level" ] || exit 2; echo 1`,
  });
  const { value, issues } = okValue<GpuEvidence>(await appleGpu(darwinHost(bin), {}));
  assert.deepEqual(issues, []);
  assert.equal(value.inUseSystemMemoryBytes, 268435456 + 33492992, 'system memory only; the 2 GiB of VRAM is not in it');
  assert.deepEqual(
    value.devices.map((d) => [d.name, d.memoryUsedMiB, d.vramUsedMiB ?? null, d.memoryTotalMiB]),
    [
      ['IntelAccelerator', 256, null, null],
      ['AMD Radeon Pro 5500M', 33492992 / 2 ** 20, 2048, null],
    ],
  );
});

// ---------------------------------------------------------------- footprint

test('footprint, real Apple Silicon output (wgpu#9354, partial): header, rules, separator and all 17 rows', () => {
  const { processes, problems } = parseFootprint(captured('footprint', 'wgpu-9354-apple-silicon-partial.txt'), SRC);
  assert.deepEqual(problems, []);
  assert.equal(processes.length, 1);
  const [p] = processes;
  assert.deepEqual([p?.pid, p?.name, p?.footprintBytes, p?.categories.length, p?.total], [12761, null, 60 * 2 ** 20, 17, null]);
  assert.equal(ioAcceleratorDirtyBytes(p!), 2624 * 1024);
  assert.deepEqual(p?.categories.at(-1), { category: '__AUTH', dirtyBytes: 152 * 1024, cleanBytes: 0, reclaimableBytes: 0, regions: 611 });
});

test('footprint, a row it does not expect (mlx#3896, reporter\'s summary) is a problem, never a lost parse', () => {
  const { processes, problems } = parseFootprint(captured('footprint', 'mlx-3896-m5max-abridged.txt'), SRC);
  assert.deepEqual(processes, [], 'no [PID] header in the summary: no process');
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /line 2: unexpected category row, skipped: "109 GB {3}IOAccelerator \(graphics\) {3}\[all DIRTY, 0 reclaimable\]"/);
  // The same odd row inside the real wgpu output (inserted after its 4th row): the process, its
  // other 17 rows and its IOAccelerator figure all survive.
  const lines = captured('footprint', 'wgpu-9354-apple-silicon-partial.txt').split('\n');
  lines.splice(9, 0, '      109 GB   IOAccelerator (graphics)   [all DIRTY, 0 reclaimable]');
  const mixed = parseFootprint(lines.join('\n'), SRC);
  assert.deepEqual(mixed.processes.map((p) => [p.pid, p.categories.length, ioAcceleratorDirtyBytes(p)]), [[12761, 17, 2624 * 1024]]);
  assert.deepEqual(mixed.problems.map((p) => p.pid), [12761]);
});

test('apple GPU probe: an odd footprint row is a parse issue for that pid, and its IOAccelerator memory still counts', async () => {
  const lines = captured('footprint', 'wgpu-9354-apple-silicon-partial.txt').replace('[12761]', '[4103]').split('\n');
  lines.splice(9, 0, '      109 GB   IOAccelerator (graphics)   [all DIRTY, 0 reclaimable]');
  const data = dataDir({ 'ioreg.out': captured('ioreg', 'm4-gotest-verbatim-ioreg-r-d1.txt'), 'footprint-4103.out': lines.join('\n') });
  const bin = fakeBin({
    ioreg: `cat '${data}/ioreg.out'`,
    sysctl: 'echo 1',
    footprint: `[ "$#" -eq 1 ] || exit 2; cat '${data}/footprint-'"$1"'.out'`,
  });
  const { value, issues } = okValue<GpuEvidence>(await appleGpu(darwinHost(bin), { pids: [4103] }));
  assert.deepEqual(value.processes, [{ pid: 4103, usedMemoryMiB: 2624 / 1024, gpuUuid: null, source: 'footprint', footprintMiB: 60 }]);
  assert.deepEqual(issues.map((i) => [i.kind, i.pids]), [['parse', [4103]]]);
  assert.equal(value.inUseSystemMemoryBytes, 430571520, 'the M4 capture through the probe');
});

// ---------------------------------------------------------------- pmset / notifyutil

test('pmset -g therm, real outputs: Apple Silicon notes (idle and under load), Intel blocks (100 % and throttled)', () => {
  for (const f of ['stats-749-m1pro-monterey-12.1.txt', 'mbcheck-m4air-tahoe-26.5.2-under-load.txt']) {
    const p = parsePmsetTherm(captured('pmset', f));
    assert.deepEqual([p.notes.length, p.nothingRecorded, p.cpuSpeedLimitPercent, p.thermalWarningLevel, p.performanceWarningLevel, p.unrecognised, p.errors], [3, true, null, null, null, [], []], f);
  }
  const intel = parsePmsetTherm(captured('pmset', 'node_exporter-2031-intel-12cpu.txt'));
  assert.deepEqual([intel.notes.length, intel.cpuSpeedLimitPercent, intel.cpuSchedulerLimitPercent, intel.cpuAvailableCpus, intel.thermalWarningLevel, intel.nothingRecorded], [2, 100, 100, 12, null, false]);
  const cool = parsePmsetTherm(captured('pmset', 'menumeters-158-thermlog-intel-100.txt'));
  assert.deepEqual([cool.cpuSpeedLimitPercent, cool.blocks[0]?.timestamp], [100, '2020-06-26 12:30:37 +0200']);
  const hot = parsePmsetTherm(captured('pmset', 'menumeters-158-thermlog-intel-throttled.txt'));
  assert.deepEqual([hot.cpuSpeedLimitPercent, hot.cpuSchedulerLimitPercent, hot.unrecognised], [28, 40, []]);
});

/** The Intel capture with the warning lines pmset prints when a level IS recorded (pmset.m's format; no capture shows one). */
function intelWithWarnings(thermal: number, performance: number): string {
  return captured('pmset', 'node_exporter-2031-intel-12cpu.txt')
    .replace('Note: No thermal warning level has been recorded', `2021-05-02 11:51:57 +0800 Thermal Warning Level = ${thermal}`)
    .replace('Note: No performance warning level has been recorded', `2021-05-02 11:51:57 +0800 Performance Warning Level = ${performance}`);
}

test('pmset -g therm: the Thermal/Performance Warning Level lines are read, not dropped into a block', () => {
  const p = parsePmsetTherm(intelWithWarnings(5, 100));
  assert.deepEqual([p.thermalWarningLevel, p.performanceWarningLevel], [5, 100]);
  assert.equal(p.blocks.length, 1, 'a dated warning line is not a CPU power block');
  assert.deepEqual([p.blocks[0]?.event, p.cpuSpeedLimitPercent, p.notes, p.nothingRecorded, p.unrecognised], ['CPU Power notify', 100, [], false, []]);
  // Undated (pmset leaves the date out when it cannot format it), and a 0 that is a real reading.
  const bare = parsePmsetTherm('Thermal Warning Level = 0\nPerformance Warning Level = 0\n');
  assert.deepEqual([bare.thermalWarningLevel, bare.performanceWarningLevel, bare.nothingRecorded, bare.blocks], [0, 0, false, []]);
});

test('darwin thermal probe: warning levels reach the evidence; an Apple Silicon capture leaves them null; the real notifyutil output reads 1', async () => {
  const run = async (pmset: string): Promise<ThermalEvidence> => {
    const data = dataDir({ 'pmset.out': pmset, 'notifyutil.out': captured('notifyutil', 'mbcheck-m4air-tahoe-26.5.2-level1.txt') });
    const bin = fakeBin({
      pmset: `[ "$*" = "-g therm" ] || exit 2; cat '${data}/pmset.out'`,
      notifyutil: `[ "$*" = "-g com.apple.system.thermalpressurelevel" ] || exit 2; cat '${data}/notifyutil.out'`,
    });
    return okValue(await darwinThermal(darwinHost(bin))).value;
  };
  const intel = await run(intelWithWarnings(100, 100));
  assert.deepEqual([intel.cpuSpeedLimitPercent, intel.thermalWarningLevel, intel.performanceWarningLevel, intel.thermalPressureLevel], [100, 100, 100, 1]);
  const m4 = await run(captured('pmset', 'mbcheck-m4air-tahoe-26.5.2-under-load.txt'));
  assert.deepEqual([m4.cpuSpeedLimitPercent, m4.thermalWarningLevel, m4.performanceWarningLevel, m4.thermalPressureLevel], [null, null, null, 1]);
});

// ---------------------------------------------------------------- lsof

test('lsof argv: -w on every call (Apple\'s lsof 4.91 lists [+|-w] in its real usage text)', () => {
  assert.equal(LSOF_LISTEN_ARGV[1], '-w');
  assert.equal(lsofCwdArgv([1, 2])[1], '-w');
  const usage = captured('lsof', 'lsof-org-322-stderr-usage-4.91-sonoma-14.6.txt');
  assert.match(usage, /^lsof 4\.91$/m);
  assert.ok(usage.includes('[+|-w]'), 'the flag is in 4.91');
  assert.ok(usage.includes('[-F [f]]') && usage.includes('[-s [p:s]]'), '-F and -s are too');
});

test('lsof stderr: the real Time Machine warning and its continuation lines are one warning, nothing else', () => {
  const tm = splitLsofStderr(captured('lsof', 'raycast-1158-stderr-timemachine.txt'));
  assert.equal(tm.warnings.length, 1);
  assert.match(tm.warnings[0]!, /^lsof: WARNING: can't stat\(\) apfs file system .*Output information may be incomplete\. assuming "dev=3400022f" from mount table$/);
  assert.deepEqual(tm.other, []);
  const usage = splitLsofStderr(captured('lsof', 'lsof-org-322-stderr-usage-4.91-sonoma-14.6.txt'));
  assert.deepEqual([usage.warnings, usage.other[0]], [[], 'lsof: unknown -s protocol: "UDP:Idle"']);
});

/** A fake lsof answering the listener argv with `stdout`, `stderr` and `code`. */
function lsofBin(stdout: string, stderr: string, code: number): string {
  const data = dataDir({ out: stdout, err: stderr });
  return fakeBin({ lsof: `[ "$*" = "${LSOF_LISTEN_ARGV.slice(1).join(' ')}" ] || { echo "fake lsof: unrecognised arguments: $*" >&2; exit 2; }; cat '${data}/out'; cat '${data}/err' >&2; exit ${code}` });
}

test('sockets probe: the Time Machine warning is not an access-denied issue, nor the quoted reason of an exit 1', async () => {
  const warning = captured('lsof', 'raycast-1158-stderr-timemachine.txt');
  // Nothing listens (exit 1, no output) and lsof warned about the snapshot: no listeners, no issue.
  const none = okValue<ListeningSocket[]>(await darwinSockets(darwinHost(lsofBin('', warning, 1))));
  assert.deepEqual([none.value, none.issues], [[], []]);
  // Listeners and a warning, exit 0: no issue either.
  const record = 'p5310\0cpython3.11\0\nf7\0tIPv4\0d0x2eddb902b289fa31\0n127.0.0.1:8080\0TST=LISTEN\0\n';
  const ok0 = okValue<ListeningSocket[]>(await darwinSockets(darwinHost(lsofBin(record, warning, 0))));
  assert.deepEqual([ok0.value.map((s) => [s.id, s.port, s.owners]), ok0.issues], [[['0x2eddb902b289fa31', 8080, [{ pid: 5310, fd: 7 }]]], []]);
  // Exit 1 with output: other users' processes may be missing, but the warning is not the reason.
  const partial = okValue<ListeningSocket[]>(await darwinSockets(darwinHost(lsofBin(record, warning, 1))));
  assert.equal(partial.issues.length, 1);
  assert.equal(partial.issues[0]?.kind, 'access-denied');
  assert.ok(!partial.issues[0]!.message.includes('WARNING'), partial.issues[0]!.message);
  // A real usage error (4.91 on Sonoma) still fails the probe: a changed flag is not "no listeners".
  const usage = await darwinSockets(darwinHost(lsofBin('', `${warning}${captured('lsof', 'lsof-org-322-stderr-usage-4.91-sonoma-14.6.txt')}`, 1)));
  assert.equal(usage.status, 'failed');
  assert.match(usage.status === 'failed' ? usage.reason : '', /lsof exited 1: lsof: unknown -s protocol: "UDP:Idle"/);
});

test('lsof -F, real newline form (keybase TestParse): cwd sets read, and a cwd lookup with a warning names no warning', async () => {
  const text = captured('lsof', 'keybase-lsof-test-F-pcuftn.txt');
  const { processes, problems } = parseLsofRecords(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(processes.map((p) => [p.pid, p.command, p.files.map((f) => [f.fd, f.type])]), [
    [10292, 'bash', [['cwd', 'DIR']]],
    [10561, 'vim', [['cwd', 'DIR'], ['4', 'REG']]],
  ]);
  assert.deepEqual([...parseLsofCwd(text)], [
    [10292, '/keybase/private/gabrielh,oconnor663'],
    [10561, '/keybase/private/gabrielh,oconnor663'],
  ]);
  // Through the process probe: ps lists the two, lsof answers for one and warns; the missing pid is
  // an access-denied issue that does not quote the warning.
  const ps = [
    '10292   900 10292   501 dev      Ss   Tue Jun 17 10:14:05 2025    4352   0:00.31 ttys001  bash',
    '10561 10292 10561   501 dev      S+   Tue Jun 17 10:14:09 2025    9216   0:00.12 ttys001  vim .fun_times',
    '10777 10292 10777   501 dev      S+   Tue Jun 17 10:14:09 2025    9216   0:00.12 ttys001  sleep 60',
  ].join('\n');
  const data = dataDir({ 'ps.out': `${ps}\n`, 'lsof.out': text.split('p10561')[0]!, 'lsof.err': captured('lsof', 'raycast-1158-stderr-timemachine.txt') });
  const bin = fakeBin({
    ps: `case "$*" in *ucomm=*) printf '10292 bash            \\n10561 vim             \\n' ;; *) cat '${data}/ps.out' ;; esac`,
    lsof: `[ "$*" = "${lsofCwdArgv([10292, 10561]).slice(1).join(' ')}" ] || exit 2; cat '${data}/lsof.out'; cat '${data}/lsof.err' >&2; exit 1`,
  });
  const { value, issues } = okValue<ProcessInfo[]>(await darwinProcesses(darwinHost(bin), { enrich: () => new Set([10292, 10561]) }));
  assert.deepEqual(value.map((p) => [p.pid, p.comm, p.cwd]), [
    [10292, 'bash', '/keybase/private/gabrielh,oconnor663'],
    [10561, 'vim', null],
    [10777, 'sleep', null],
  ]);
  assert.deepEqual(issues.map((i) => [i.kind, i.pids]), [['access-denied', [10561]]]);
  assert.ok(!issues[0]!.message.includes('WARNING'), issues[0]!.message);
});

// ---------------------------------------------------------------- ps

test('ps: the process name comes from ucomm (p_comm), not comm (argv[0] in Apple\'s ps); real `ps -ef` tokens (fastfetch#984) read', () => {
  assert.deepEqual([...PS_COMM_ARGV], ['ps', '-axww', '-o', 'pid=,ucomm=']);
  const lines = captured('ps', 'fastfetch-984-ps-ef-2024.txt').trimEnd().split('\n').slice(1);
  assert.equal(lines.length, 12);
  const rows = lines.map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\S+\s+\S+\s+(\S+)\s+(.*)$/.exec(l);
    assert.ok(m, l);
    return { pid: Number(m[2]), time: parseCpuTime(m[4]!), argv: splitCommand(m[5]!) };
  });
  assert.deepEqual(rows.slice(0, 3).map((r) => [r.pid, r.time]), [[1, 3444.25], [93, 2344], [95, 90.08]]);
  assert.ok(rows.every((r) => r.time !== null), 'every real TIME token reads');
  assert.deepEqual(rows.find((r) => r.pid === 95)?.argv, ['/usr/libexec/UserEventAgent', '(System)']);
  assert.deepEqual(rows.find((r) => r.pid === 102)?.argv, ['/usr/sbin/systemstats', '--daemon']);
});
