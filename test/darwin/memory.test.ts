// Memory evidence and the memory-pressure rule: the sysctl parsers on real `vm.swapusage` lines
// (test/fixtures/darwin/captured/sysctl/, sources in SOURCE.md), the Linux probe on temporary
// /proc trees, and `rerun-doctor diagnose` on the darwin path through fixture-fed fakes
// (test/fixtures/bin/darwin: ps, lsof, sysctl; test/fixtures/bin/gpu: ioreg, footprint).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import type { MemoryEvidence } from '../../src/model/memory.js';
import type { Outcome } from '../../src/model/outcome.js';
import { parseSwapUsage, parseSysctlInteger } from '../../src/os/darwin/sysctl.js';
import { parseMeminfo } from '../../src/os/linux/meminfo.js';
import { collectMemory, SYSCTL_MEMSIZE_ARGV, SYSCTL_PRESSURE_ARGV, SYSCTL_SWAP_ARGV } from '../../src/probes/memory.js';
import { runCli } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const MiB = 2 ** 20;
const captured = (f: string) => readFileSync(fixture('darwin', 'captured', 'sysctl', f), 'utf8');

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
};

function okValue<T>(o: Outcome<T>): { value: T; issues: Extract<Outcome<T>, { status: 'ok' }>['issues'] } {
  assert.equal(o.status, 'ok', o.status === 'ok' ? '' : o.reason);
  if (o.status !== 'ok') throw new Error('unreachable');
  return { value: o.value, issues: o.issues };
}

test('vm.swapusage, real lines (px#80, mackerel-agent#84, a decimal-comma locale in powerlevel9k#1108) → bytes', () => {
  assert.deepEqual(parseSwapUsage(captured('px-80-swapusage.txt')), { ok: true, value: { totalBytes: 4096 * MiB, usedBytes: 2743.5 * MiB, freeBytes: 1352.5 * MiB, encrypted: true } });
  assert.deepEqual(parseSwapUsage(captured('mackerel-agent-84-swapusage.txt')), { ok: true, value: { totalBytes: 1024 * MiB, usedBytes: 2.5 * MiB, freeBytes: 1021.5 * MiB, encrypted: true } });
  assert.deepEqual(parseSwapUsage(captured('powerlevel9k-1108-swapusage-comma-locale.txt')), { ok: true, value: { totalBytes: 1024 * MiB, usedBytes: 379.25 * MiB, freeBytes: 644.75 * MiB, encrypted: true } });
  // `-n` drops the name; unencrypted swap prints no note (sysctl.c S_xswusage).
  assert.deepEqual(parseSwapUsage('total = 0.00M  used = 0.00M  free = 0.00M  \n'), { ok: true, value: { totalBytes: 0, usedBytes: 0, freeBytes: 0, encrypted: false } });
  assert.equal(parseSwapUsage('sysctl: unknown oid').ok, false);
  assert.deepEqual(parseSysctlInteger('2\n', 'kern.memorystatus_vm_pressure_level'), { ok: true, value: 2 });
  assert.deepEqual(parseSysctlInteger('hw.memsize: 17179869184', 'hw.memsize'), { ok: true, value: 17179869184 });
  assert.equal(parseSysctlInteger('warn', 'kern.memorystatus_vm_pressure_level').ok, false);
  assert.deepEqual([...SYSCTL_PRESSURE_ARGV, ...SYSCTL_SWAP_ARGV, ...SYSCTL_MEMSIZE_ARGV], ['sysctl', '-n', 'kern.memorystatus_vm_pressure_level', 'sysctl', '-n', 'vm.swapusage', 'sysctl', '-n', 'hw.memsize']);
});

const MEMINFO = 'MemTotal:       16303428 kB\nMemFree:          201144 kB\nMemAvailable:     611220 kB\nBuffers:           10240 kB\nSwapTotal:       2097148 kB\nSwapFree:         524284 kB\nHugePages_Total:       0\n';

test('Linux memory probe: PSI and meminfo; without PSI, MemAvailable alone; with neither, unavailable', async () => {
  assert.deepEqual(parseMeminfo(MEMINFO), { totalBytes: 16303428 * 1024, availableBytes: 611220 * 1024, swapTotalBytes: 2097148 * 1024, swapFreeBytes: 524284 * 1024 });
  const proc = (files: Record<string, string>) => {
    const root = temp('rerun-doctor-proc-');
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    return createHost({ platform: 'linux', procRoot: root, env: {} });
  };
  const psi = 'some avg10=23.51 avg60=12.40 avg300=4.10 total=91234567\nfull avg10=8.02 avg60=3.30 avg300=1.00 total=31234567\n';
  const full = okValue<MemoryEvidence>(await collectMemory(proc({ 'pressure/memory': psi, meminfo: MEMINFO })));
  assert.deepEqual(full.issues, []);
  assert.deepEqual(
    [full.value.psiSomeAvg10, full.value.psiFullAvg10, full.value.availableBytes, full.value.swapUsedBytes, full.value.pressureLevel],
    [23.51, 8.02, 611220 * 1024, (2097148 - 524284) * 1024, null],
  );
  const noPsi = okValue<MemoryEvidence>(await collectMemory(proc({ meminfo: MEMINFO })));
  assert.deepEqual([noPsi.value.psiSomeAvg10, noPsi.value.availableBytes], [null, 611220 * 1024]);
  assert.deepEqual(noPsi.issues.map((i) => i.kind), ['unavailable']);
  const none = await collectMemory(proc({ 'version': 'x' }));
  assert.equal(none.status, 'unavailable');
});

const DARWIN_BIN = fixture('bin', 'darwin');
const GPU_BIN = fixture('bin', 'gpu');

test('darwin memory probe: the three sysctl reads through the fake; an unknown oid costs only its value', async () => {
  const host = (dir: string) => createHost({ platform: 'darwin', env: { ...process.env, PATH: `${DARWIN_BIN}${delimiter}${process.env.PATH}`, RERUN_DOCTOR_FIXTURE_DIR: dir } });
  const { value, issues } = okValue<MemoryEvidence>(await collectMemory(host(fixture('darwin', 'memory-pressure'))));
  assert.deepEqual(issues, []);
  assert.deepEqual([value.platform, value.pressureLevel, value.swapUsedBytes, value.swapTotalBytes, value.totalBytes], ['darwin', 2, 5321.25 * MiB, 6144 * MiB, 16 * 2 ** 30]);
  const partial = temp('rerun-doctor-sysctl-');
  writeFileSync(join(partial, 'sysctl-pressure.out'), '1\n');
  const p = okValue<MemoryEvidence>(await collectMemory(host(partial)));
  assert.deepEqual([p.value.pressureLevel, p.value.swapUsedBytes, p.value.totalBytes], [1, null, null]);
  assert.deepEqual(p.issues.map((i) => i.kind), ['failed', 'failed']);
  assert.match(p.issues[0]!.message, /swap use unknown: sysctl -n vm\.swapusage: exit status 1: sysctl: unknown oid/);
});

interface Finding { id: string; messageId: string; title: string; pids: number[]; evidence: Array<{ source: string; text: string }> }
interface DiagnosisOut { status: string; verdict: string; findings: Finding[]; deferred: Finding[]; skipped: Array<{ id: string; because: string; reason: string }> }

const cliEnv = (dir: string) => ({
  RERUN_DOCTOR_PLATFORM: 'darwin',
  PATH: `${DARWIN_BIN}:${GPU_BIN}:${process.env.PATH}`,
  RERUN_DOCTOR_FIXTURE_DIR: dir,
});

test('darwin diagnose: memory pressure names the orphaned run\'s processes by physical footprint (not RSS), after the orphan findings', async () => {
  const r = await runCli(['diagnose', '--json', '--quick', '--no-metrics', '--project', '/Users/dev/src/infer-server'], { env: cliEnv(fixture('darwin', 'memory-pressure')) });
  assert.ok(r.code === 1, `exit ${r.code}: ${r.stderr}`);
  const d = JSON.parse(r.stdout) as DiagnosisOut;
  assert.ok(d.findings.some((f) => f.id === 'orphan-workers'), 'the orphans come first');
  const mem = d.deferred.find((f) => f.id === 'memory-pressure');
  assert.ok(mem, `memory-pressure is deferred behind the orphans: ${JSON.stringify(d.findings.map((f) => f.id))} / ${JSON.stringify(d.deferred.map((f) => f.id))}`);
  assert.equal(mem.messageId, 'heldByLeftovers');
  assert.match(mem.title, /^the machine is short of memory, and 3 leftover processes of earlier runs hold 10\.4 GiB$/);
  assert.deepEqual(mem.pids, [4102, 4103, 4104]);
  assert.deepEqual(mem.evidence.slice(0, 2).map((e) => e.text), ['memory pressure level 2 (warn; 1 normal, 2 warn, 4 critical)', 'swap: 5.2 GiB in use of 6.0 GiB']);
  // Largest first, by footprint (5436 MB: RSS says 1.8 GB for this worker).
  assert.match(mem.evidence[2]!.text, /^pid 4103 \(worker\/spawn-worker, run \d+, left by an earlier run\) holds 5\.3 GiB \(physical footprint\)/);
  assert.equal(mem.evidence[2]!.source, 'footprint 4103');
  assert.match(mem.evidence[4]!.text, /^pid 4102 .* holds 12\.0 MiB \(physical footprint\)/);
});

test('darwin diagnose: normal pressure says nothing; an unreadable level is "not judged", never healthy', async () => {
  const calm = temp('rerun-doctor-calm-');
  for (const f of ['ps.out', 'ps-ucomm.out', 'lsof.out', 'lsof-cwd.out', 'ioreg.out', 'sysctl-swapusage.out', 'sysctl-memsize.out']) writeFileSync(join(calm, f), readFileSync(fixture('darwin', 'memory-pressure', f)));
  writeFileSync(join(calm, 'sysctl-pressure.out'), '1\n');
  const quiet = JSON.parse((await runCli(['diagnose', '--json', '--quick', '--no-metrics', '--project', '/Users/dev/src/infer-server'], { env: cliEnv(calm) })).stdout) as DiagnosisOut;
  assert.equal([...quiet.findings, ...quiet.deferred].some((f) => f.id === 'memory-pressure'), false);
  assert.equal(quiet.skipped.some((s) => s.id === 'memory-pressure'), false);
  rmSync(join(calm, 'sysctl-pressure.out'));
  rmSync(join(calm, 'sysctl-swapusage.out'));
  const unknown = JSON.parse((await runCli(['diagnose', '--json', '--quick', '--no-metrics', '--project', '/Users/dev/src/infer-server'], { env: cliEnv(calm) })).stdout) as DiagnosisOut;
  const skipped = unknown.skipped.find((s) => s.id === 'memory-pressure');
  assert.ok(skipped, JSON.stringify(unknown.skipped));
  assert.equal(skipped.because, 'failed');
  assert.match(skipped.reason, /^memory: memory pressure unknown: sysctl -n kern\.memorystatus_vm_pressure_level: exit status 1/);
});
