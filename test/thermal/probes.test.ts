// The thermal probes end to end: Linux fixture trees under test/fixtures/thermal/linux/<scenario>/{sys,proc}
// (plus trees built in a temp dir for edge cases), and macOS captures served by fake pmset/notifyutil
// executables (test/fixtures/bin/thermal) first on PATH, which reject any other argv.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type Host } from '../../src/host/host.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { SnapshotIssue } from '../../src/model/snapshot.js';
import type { ThermalEvidence } from '../../src/model/thermal.js';
import { collectThermal, GPU_THERMAL_SOURCE } from '../../src/probes/thermal.js';
import { darwinThermal } from '../../src/probes/thermal.darwin.js';
import { linuxCpuPressure, linuxThermal } from '../../src/probes/thermal.linux.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAKE_BIN = resolve(here, '../fixtures/bin/thermal');
const linuxScenario = (name: string) => resolve(here, '../fixtures/thermal/linux', name);
const darwinScenario = (name: string) => resolve(here, '../fixtures/thermal/darwin', name);

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** A scenario directory with sys/ and proc/ built from relative path → content. */
function buildTree(files: Record<string, string>): string {
  const root = tempDir('rerun-doctor-thermal-');
  mkdirSync(join(root, 'sys'));
  mkdirSync(join(root, 'proc'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function linuxHost(scenarioDir: string): Host {
  return createHost({
    platform: 'linux',
    sysRoot: join(scenarioDir, 'sys'),
    procRoot: join(scenarioDir, 'proc'),
    env: { ...process.env, PATH: `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`, RERUN_DOCTOR_FIXTURE_DIR: scenarioDir },
  });
}

function darwinHost(fixtureDir: string, path = `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`): Host {
  // sysRoot/procRoot point at a Linux tree on purpose: the darwin path must not read them.
  return createHost({
    platform: 'darwin',
    sysRoot: join(linuxScenario('laptop-throttled'), 'sys'),
    procRoot: join(linuxScenario('laptop-throttled'), 'proc'),
    env: { ...process.env, PATH: path, RERUN_DOCTOR_FIXTURE_DIR: fixtureDir },
  });
}

/** A bin dir holding exactly these entries (symlinks to the fakes, or sh scripts), used as the whole PATH. */
function isolatedBin(entries: Record<string, { link: string } | { script: string }>): string {
  const dir = tempDir('rerun-doctor-thermal-bin-');
  for (const [name, e] of Object.entries(entries)) {
    if ('link' in e) symlinkSync(e.link, join(dir, name));
    else writeFileSync(join(dir, name), `#!/bin/sh\n${e.script}\n`, { mode: 0o755 });
  }
  return dir;
}

function okValue<T>(o: Outcome<T>): { value: T; issues: SnapshotIssue[]; source: string } {
  assert.equal(o.status, 'ok', o.status === 'ok' ? '' : o.reason);
  if (o.status !== 'ok') throw new Error('unreachable');
  return { value: o.value, issues: o.issues, source: o.source };
}

function notOk<T>(o: Outcome<T>, status: 'unavailable' | 'failed'): string {
  if (o.status === 'ok') assert.fail(`expected ${status}, got ok: ${JSON.stringify(o.value)}`);
  assert.equal(o.status, status, o.reason);
  return o.reason;
}

/** Unavailable must read as "unknown", never as a clean bill of health. */
function assertSaysUnknown(reason: string): void {
  assert.match(reason, /unavailable/);
  assert.match(reason, /unknown, not ruled out/);
  assert.doesNotMatch(reason, /not throttled|no throttling|healthy/i);
}

// ---------------------------------------------------------------------------------------------- Linux

test('linux laptop-throttled: counters, low frequency, a Processor cooling device at 3 of 10, PSI', async () => {
  const dir = linuxScenario('laptop-throttled');
  const { value, issues, source } = okValue(await linuxThermal(linuxHost(dir)));
  assert.deepEqual(issues, []);
  assert.equal(value.platform, 'linux');
  assert.equal(value.cpus.length, 4);
  assert.deepEqual(value.cpus[0], { cpu: 0, coreThrottleCount: 2081, packageThrottleCount: 4127, curFreqKHz: 799987, maxFreqKHz: 3100000 });
  assert.ok(value.cpus.every((c) => (c.packageThrottleCount ?? 0) > 0), 'package throttle count > 0 on every CPU');
  const processor = value.coolingDevices.filter((d) => d.type === 'Processor');
  assert.equal(processor.length, 4);
  assert.ok(processor.every((d) => d.curState === 3 && d.maxState === 10), 'Processor cooling at state 3 of 10');
  assert.equal(value.cpuPressureSomeAvg10, 41.27);
  assert.deepEqual([value.cpuSpeedLimitPercent, value.thermalPressureLevel, value.gpuThermalSlowdown], [null, null, []]);
  assert.deepEqual(value.sources, [
    `${dir}/sys/devices/system/cpu/cpu*/thermal_throttle/{core,package}_throttle_count`,
    `${dir}/sys/devices/system/cpu/cpu*/cpufreq/{scaling_cur_freq,cpuinfo_max_freq}`,
    `${dir}/sys/class/thermal/cooling_device*/{type,cur_state,max_state}`,
    `${dir}/proc/pressure/cpu`,
  ]);
  assert.ok(source.includes(`${dir}/sys/devices/system/cpu/cpu*`), source);
});

test('linux desktop-cool: ok with zero counters, frequencies near max, cooling at 0', async () => {
  const { value, issues } = okValue(await linuxThermal(linuxHost(linuxScenario('desktop-cool'))));
  assert.deepEqual(issues, []);
  assert.equal(value.cpus.length, 4);
  assert.ok(value.cpus.every((c) => c.coreThrottleCount === 0 && c.packageThrottleCount === 0), 'counters 0');
  assert.ok(value.cpus.every((c) => c.curFreqKHz! >= 0.95 * c.maxFreqKHz!), 'near max');
  assert.ok(value.coolingDevices.length === 4 && value.coolingDevices.every((d) => d.curState === 0), 'cooling 0');
  assert.equal(value.cpuPressureSomeAvg10, 0.35);
});

test('linux vm-none: no thermal files is unavailable, and the reason quotes PSI as contention', async () => {
  const reason = notOk(await linuxThermal(linuxHost(linuxScenario('vm-none'))), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /thermal_throttle/);
  assert.match(reason, /some avg10=12\.50 %/);
  assert.match(reason, /contention, not throttling/);
});

test('linux vm-ci (real capture of the CI VM): unavailable, PSI quoted', async () => {
  const reason = notOk(await linuxThermal(linuxHost(linuxScenario('vm-ci'))), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /some avg10=\d+\.\d\d %/);
  assert.doesNotMatch(reason, /max_state 0/, 'the CI VM has no cooling devices at all');
});

test('linux: a VM whose only cooling devices have max_state 0 is still unavailable', async () => {
  const files: Record<string, string> = { 'proc/pressure/cpu': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=10\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' };
  for (let i = 0; i < 2; i++) {
    files[`sys/class/thermal/cooling_device${i}/type`] = 'Processor\n';
    files[`sys/class/thermal/cooling_device${i}/cur_state`] = '0\n';
    files[`sys/class/thermal/cooling_device${i}/max_state`] = '0\n';
  }
  const reason = notOk(await linuxThermal(linuxHost(buildTree(files))), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /2 cooling device\(s\) there all report max_state 0/);
});

test('linux: nothing at all (no sys, no proc) is unavailable and says PSI is absent too', async () => {
  const root = tempDir('rerun-doctor-thermal-empty-');
  const reason = notOk(await linuxThermal(linuxHost(root)), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /pressure\/cpu is absent too/);
});

test('linux: cpufreq without thermal_throttle (AMD-like), no PSI: ok, counters null, PSI issue', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2; i++) {
    files[`sys/devices/system/cpu/cpu${i}/cpufreq/scaling_cur_freq`] = '1397000\n';
    files[`sys/devices/system/cpu/cpu${i}/cpufreq/cpuinfo_max_freq`] = '4673000\n';
  }
  const dir = buildTree(files);
  const { value, issues } = okValue(await linuxThermal(linuxHost(dir)));
  assert.deepEqual(value.cpus, [
    { cpu: 0, coreThrottleCount: null, packageThrottleCount: null, curFreqKHz: 1397000, maxFreqKHz: 4673000 },
    { cpu: 1, coreThrottleCount: null, packageThrottleCount: null, curFreqKHz: 1397000, maxFreqKHz: 4673000 },
  ]);
  assert.deepEqual(value.sources, [`${dir}/sys/devices/system/cpu/cpu*/cpufreq/{scaling_cur_freq,cpuinfo_max_freq}`]);
  assert.equal(value.cpuPressureSomeAvg10, null);
  assert.deepEqual(issues.map((i) => [i.probe, i.kind]), [['thermal.linux', 'unavailable']]);
  assert.match(issues[0]!.message, /pressure\/cpu is absent/);
});

test('linux: an offline CPU (empty files) is not a parse error; <unknown> on many CPUs is one issue', async () => {
  const files: Record<string, string> = { 'proc/pressure/cpu': 'some avg10=1.00 avg60=1.00 avg300=1.00 total=1\n' };
  for (let i = 0; i < 8; i++) {
    files[`sys/devices/system/cpu/cpu${i}/thermal_throttle/core_throttle_count`] = i === 7 ? '' : '5\n';
    files[`sys/devices/system/cpu/cpu${i}/cpufreq/scaling_cur_freq`] = '<unknown>\n';
    files[`sys/devices/system/cpu/cpu${i}/cpufreq/cpuinfo_max_freq`] = '3000000\n';
  }
  const { value, issues } = okValue(await linuxThermal(linuxHost(buildTree(files))));
  assert.equal(value.cpus.length, 8);
  assert.equal(value.cpus[7]!.coreThrottleCount, null, 'offline: 0 bytes');
  assert.ok(value.cpus.every((c) => c.curFreqKHz === null && c.maxFreqKHz === 3000000), '<unknown> reads as null');
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]!.kind, 'parse');
  assert.match(issues[0]!.message, /scaling_cur_freq: not an integer \("<unknown>"\) \(cpu0, cpu1, cpu2 and 5 more\)/);
});

test('linux: unparseable PSI fails on its own and is an issue of the thermal outcome', async () => {
  const dir = buildTree({ 'sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count': '0\n', 'proc/pressure/cpu': 'garbage\n' });
  const { value, issues } = okValue(await linuxThermal(linuxHost(dir)));
  assert.equal(value.cpuPressureSomeAvg10, null);
  assert.deepEqual(issues.map((i) => i.kind), ['failed']);
  const psi = await linuxCpuPressure(linuxHost(dir));
  assert.match(notOk(psi, 'failed'), /unrecognised line "garbage"/);
});

test('linuxCpuPressure: contention as its own outcome, on the VM too', async () => {
  const { value, source } = okValue(await linuxCpuPressure(linuxHost(linuxScenario('vm-none'))));
  assert.deepEqual(value, { some: { avg10: 12.5, avg60: 9.84, avg300: 4.02, totalUs: 3388109274 }, full: null });
  assert.equal(source, `${linuxScenario('vm-none')}/proc/pressure/cpu`);
  const ci = okValue(await linuxCpuPressure(linuxHost(linuxScenario('vm-ci'))));
  assert.deepEqual(ci.value.full, { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 });
  assert.match(notOk(await linuxCpuPressure(linuxHost(tempDir('rerun-doctor-thermal-nopsi-'))), 'unavailable'), /does not exist/);
});

// --------------------------------------------------------------------------------------------- darwin

test('darwin intel-throttled: CPU_Speed_Limit 28 and pressure level 2', async () => {
  const { value, issues, source } = okValue(await darwinThermal(darwinHost(darwinScenario('intel-throttled'))));
  assert.deepEqual(issues, []);
  assert.deepEqual([value.platform, value.cpuSpeedLimitPercent, value.thermalPressureLevel], ['darwin', 28, 2]);
  assert.deepEqual([value.cpus, value.coolingDevices, value.cpuPressureSomeAvg10], [[], [], null], 'the Linux tree on the host is not read');
  assert.deepEqual(value.sources, ['pmset -g therm', 'notifyutil -g com.apple.system.thermalpressurelevel']);
  assert.equal(source, 'pmset -g therm; notifyutil -g com.apple.system.thermalpressurelevel');
});

test('darwin apple-silicon: no speed limit (only Note: lines), the pressure level carries it', async () => {
  const nominal = okValue(await darwinThermal(darwinHost(darwinScenario('apple-silicon-nominal'))));
  assert.deepEqual(nominal.issues, []);
  assert.deepEqual([nominal.value.cpuSpeedLimitPercent, nominal.value.thermalPressureLevel], [null, 0]);
  assert.deepEqual(nominal.value.sources, ['pmset -g therm', 'notifyutil -g com.apple.system.thermalpressurelevel']);
  const heavy = okValue(await darwinThermal(darwinHost(darwinScenario('apple-silicon-heavy'))));
  assert.deepEqual([heavy.value.cpuSpeedLimitPercent, heavy.value.thermalPressureLevel], [null, 2]);
});

test('darwin: neither tool on PATH is unavailable', async () => {
  const empty = isolatedBin({});
  const reason = notOk(await darwinThermal(darwinHost(darwinScenario('intel-throttled'), empty)), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /pmset is not on PATH/);
  assert.match(reason, /notifyutil is not on PATH/);
});

test('darwin: pmset missing, notifyutil present: ok with the level and an issue', async () => {
  const bin = isolatedBin({ notifyutil: { link: join(FAKE_BIN, 'notifyutil') } });
  const { value, issues } = okValue(await darwinThermal(darwinHost(darwinScenario('apple-silicon-heavy'), bin)));
  assert.deepEqual([value.cpuSpeedLimitPercent, value.thermalPressureLevel], [null, 2]);
  assert.deepEqual(value.sources, ['notifyutil -g com.apple.system.thermalpressurelevel']);
  assert.deepEqual(issues.map((i) => [i.probe, i.kind]), [['thermal.darwin', 'unavailable']]);
  assert.match(issues[0]!.message, /pmset is not on PATH: CPU_Speed_Limit unknown/);
});

test('darwin: notifyutil missing on Apple Silicon (pmset has only Note: lines) is unavailable', async () => {
  const bin = isolatedBin({ pmset: { link: join(FAKE_BIN, 'pmset') } });
  const reason = notOk(await darwinThermal(darwinHost(darwinScenario('apple-silicon-nominal'), bin)), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /only Note: lines/);
  assert.match(reason, /notifyutil is not on PATH/);
});

test('darwin: notifyutil missing on Intel: ok with the speed limit, level unknown', async () => {
  const bin = isolatedBin({ pmset: { link: join(FAKE_BIN, 'pmset') } });
  const { value, issues } = okValue(await darwinThermal(darwinHost(darwinScenario('intel-throttled'), bin)));
  assert.deepEqual([value.cpuSpeedLimitPercent, value.thermalPressureLevel], [28, null]);
  assert.deepEqual(value.sources, ['pmset -g therm']);
  assert.match(issues[0]!.message, /notifyutil is not on PATH: thermal pressure level unknown/);
});

test('darwin: both commands failing is failed, with their stderr', async () => {
  const bin = isolatedBin({ pmset: { script: 'echo "pmset: boom" >&2\nexit 1' }, notifyutil: { script: 'echo "notifyutil: bang" >&2\nexit 1' } });
  const reason = notOk(await darwinThermal(darwinHost(darwinScenario('intel-throttled'), bin)), 'failed');
  assert.match(reason, /pmset failed: pmset: boom/);
  assert.match(reason, /notifyutil failed: notifyutil: bang/);
});

test('darwin: unparseable notifyutil output is a failed part beside a good pmset', async () => {
  const bin = isolatedBin({ pmset: { link: join(FAKE_BIN, 'pmset') }, notifyutil: { script: 'echo "something else 1"' } });
  const { value, issues } = okValue(await darwinThermal(darwinHost(darwinScenario('intel-throttled'), bin)));
  assert.deepEqual([value.cpuSpeedLimitPercent, value.thermalPressureLevel], [28, null]);
  assert.deepEqual(issues.map((i) => i.kind), ['failed']);
  assert.match(issues[0]!.message, /no line for com\.apple\.system\.thermalpressurelevel/);
});

test('the fake executables reject any other argv or a missing LC_ALL=C', async () => {
  const host = darwinHost(darwinScenario('intel-throttled'));
  const batt = await host.run(['pmset', '-g', 'batt'], { env: { ...host.env, LC_ALL: 'C' } });
  assert.equal(batt.code, 2);
  assert.match(batt.stderr, /fake pmset: unrecognised arguments: -g batt/);
  const other = await host.run(['notifyutil', '-g', 'com.apple.system.lowpowermode'], { env: { ...host.env, LC_ALL: 'C' } });
  assert.equal(other.code, 2);
  const noLocale = await host.run(['pmset', '-g', 'therm'], { env: { ...host.env, LC_ALL: 'en_US.UTF-8' } });
  assert.equal(noLocale.code, 2);
  assert.match(noLocale.stderr, /expected LC_ALL=C/);
});

// ------------------------------------------------------------------------------------- collectThermal

test('collectThermal without GPU data (absent or []) is the platform probe', async () => {
  const host = linuxHost(linuxScenario('laptop-throttled'));
  assert.deepEqual(await collectThermal(host), await linuxThermal(host));
  assert.deepEqual(await collectThermal(host, { gpuThermal: [] }), await linuxThermal(host));
  const vm = linuxHost(linuxScenario('vm-none'));
  assert.deepEqual(await collectThermal(vm), await linuxThermal(vm));
  // [] cannot tell "no GPU / nvidia-smi failed" from "none slowed", so it adds nothing to the reason.
  assert.deepEqual(await collectThermal(vm, { gpuThermal: [] }), await linuxThermal(vm));
});

test('collectThermal merges NVIDIA thermal slowdown into an ok Linux outcome', async () => {
  const host = linuxHost(linuxScenario('laptop-throttled'));
  const { value, source } = okValue(
    await collectThermal(host, {
      gpuThermal: [
        { index: 1, reasons: ['sw_thermal_slowdown', 'hw_thermal_slowdown', 'sw_thermal_slowdown'] },
        { index: 0, reasons: [] },
      ],
    }),
  );
  assert.deepEqual(value.gpuThermalSlowdown, [{ index: 1, reasons: ['sw_thermal_slowdown', 'hw_thermal_slowdown'] }], 'only slowed GPUs, reasons de-duplicated');
  assert.equal(value.cpus.length, 4);
  assert.equal(value.sources.at(-1), GPU_THERMAL_SOURCE);
  assert.ok(source.endsWith(`; ${GPU_THERMAL_SOURCE}`), source);
});

test('collectThermal on a VM with a thermally slowed GPU: ok, CPU side empty with an issue, PSI kept', async () => {
  const host = linuxHost(linuxScenario('vm-none'));
  const { value, issues } = okValue(await collectThermal(host, { gpuThermal: [{ index: 0, reasons: ['hw_thermal_slowdown'] }] }));
  assert.deepEqual(value.gpuThermalSlowdown, [{ index: 0, reasons: ['hw_thermal_slowdown'] }]);
  assert.deepEqual([value.platform, value.cpus, value.coolingDevices, value.cpuSpeedLimitPercent, value.thermalPressureLevel], ['linux', [], [], null, null]);
  assert.equal(value.cpuPressureSomeAvg10, 12.5);
  assert.deepEqual(value.sources, [GPU_THERMAL_SOURCE, `${linuxScenario('vm-none')}/proc/pressure/cpu`]);
  assert.deepEqual(issues.map((i) => [i.probe, i.kind]), [['thermal.linux', 'unavailable']]);
  assertSaysUnknown(issues[0]!.message);
});

test('collectThermal on a VM whose GPUs are not slowed stays unavailable, saying the GPUs were read', async () => {
  const host = linuxHost(linuxScenario('vm-none'));
  const reason = notOk(await collectThermal(host, { gpuThermal: [{ index: 0, reasons: [] }, { index: 1, reasons: [] }] }), 'unavailable');
  assertSaysUnknown(reason);
  assert.match(reason, /2 NVIDIA GPUs read: none reports a thermal slowdown/);
});

test('collectThermal picks the darwin probe by platform and merges GPU data there too', async () => {
  const host = darwinHost(darwinScenario('apple-silicon-heavy'));
  assert.deepEqual(await collectThermal(host), await darwinThermal(host));
  const absent = darwinHost(darwinScenario('apple-silicon-heavy'), isolatedBin({}));
  const { value, issues } = okValue(await collectThermal(absent, { gpuThermal: [{ index: 0, reasons: ['sw_thermal_slowdown'] }] }));
  assert.deepEqual([value.platform, value.thermalPressureLevel, value.cpuPressureSomeAvg10], ['darwin', null, null]);
  assert.deepEqual(issues.map((i) => [i.probe, i.kind]), [['thermal.darwin', 'unavailable']]);
});

test('collectThermal turns a probe that throws into a failed outcome', async () => {
  const base = darwinHost(darwinScenario('intel-throttled'));
  const host: Host = { ...base, run: () => Promise.reject(new Error('spawn exploded')) };
  const reason = notOk<ThermalEvidence>(await collectThermal(host), 'failed');
  assert.match(reason, /thermal\.darwin threw: spawn exploded/);
});
