// Thermal parsers and rooted readers: sysfs integers, PSI, the Linux fixture trees, pmset, notifyutil.
// Fixtures: test/fixtures/thermal/ (SOURCE.md says what each one is modelled on or captured from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRootedFs } from '../../src/host/rooted-fs.js';
import { coolingDeviceCanAct, isCpuLimitingCoolingType } from '../../src/model/thermal.js';
import { NOTIFYUTIL_THERMAL_ARGV, parseNotifyutilGet, thermalPressureLevelName } from '../../src/os/darwin/notifyutil.js';
import { PMSET_THERM_ARGV, parsePmsetTherm } from '../../src/os/darwin/pmset.js';
import {
  parsePressure,
  parseSysfsInt,
  readCoolingDevices,
  readCpuPressure,
  readCpuThermal,
} from '../../src/os/linux/sys-thermal.js';

const here = dirname(fileURLToPath(import.meta.url));
const linuxTree = (scenario: string, root: 'sys' | 'proc') => createRootedFs(resolve(here, '../fixtures/thermal/linux', scenario, root));
const darwinCapture = (scenario: string, file: string) => readFileSync(resolve(here, '../fixtures/thermal/darwin', scenario, file), 'utf8');

test('parseSysfsInt: one integer and a newline; empty, <unknown> and garbage are null', () => {
  assert.equal(parseSysfsInt('4127\n'), 4127);
  assert.equal(parseSysfsInt('0\n'), 0);
  assert.equal(parseSysfsInt('-1\n'), -1, 'intel_powerclamp cur_state while not clamping');
  assert.equal(parseSysfsInt(''), null, 'an offline CPU: therm_throt.c returns 0 bytes');
  assert.equal(parseSysfsInt('<unknown>\n'), null);
  assert.equal(parseSysfsInt('12 34\n'), null);
  assert.equal(parseSysfsInt('99999999999999999999\n'), null, 'beyond a safe integer');
});

test('parsePressure: some and full lines, every field', () => {
  const p = parsePressure('some avg10=0.80 avg60=5.35 avg300=5.47 total=405329253\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
  assert.deepEqual(p.some, { avg10: 0.8, avg60: 5.35, avg300: 5.47, totalUs: 405329253 });
  assert.deepEqual(p.full, { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 });
  assert.deepEqual(p.problems, []);
});

test('parsePressure: kernels 4.20-5.12 print only the some line for cpu', () => {
  const p = parsePressure('some avg10=12.50 avg60=9.84 avg300=4.02 total=3388109274\n');
  assert.equal(p.some?.avg10, 12.5);
  assert.equal(p.full, null);
  assert.deepEqual(p.problems, []);
});

test('parsePressure: the real capture from the CI VM parses', () => {
  const text = readFileSync(resolve(here, '../fixtures/thermal/linux/vm-ci/proc/pressure/cpu'), 'utf8');
  const p = parsePressure(text);
  assert.ok(p.some !== null, 'some line read');
  assert.ok(p.full !== null && p.full.avg10 === 0 && p.full.totalUs === 0, 'system-wide CPU full is always zero (psi.rst)');
  assert.deepEqual(p.problems, []);
});

test('parsePressure: bad lines are problems, not guesses', () => {
  assert.deepEqual(parsePressure('').problems, ['no "some" line']);
  const missing = parsePressure('some avg10=1.00 avg60=1.00 total=5\n');
  assert.equal(missing.some, null);
  assert.match(missing.problems[0] ?? '', /missing one of/);
  const odd = parsePressure('some avg10=1.00 avg60=1.00 avg300=1.00 total=5\nwhat is this\n');
  assert.equal(odd.some?.totalUs, 5);
  assert.match(odd.problems[0] ?? '', /unrecognised line/);
  assert.match(parsePressure('some avg10=x avg60=1 avg300=1 total=1').problems[0] ?? '', /unexpected field/);
});

test('readCpuThermal: laptop-throttled has 4 CPUs with counters and a low current frequency', () => {
  const r = readCpuThermal(linuxTree('laptop-throttled', 'sys'));
  assert.equal(r.cpuDirs, 4);
  assert.equal(r.withThrottleFiles, 4);
  assert.equal(r.withCpufreqFiles, 4);
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.cpus.map((c) => c.cpu), [0, 1, 2, 3]);
  assert.deepEqual(r.cpus[0], { cpu: 0, coreThrottleCount: 2081, packageThrottleCount: 4127, curFreqKHz: 799987, maxFreqKHz: 3100000 });
  // Core-scoped counters can differ between siblings (cpu0 and cpu2 share core 0): node_exporter#1479.
  assert.deepEqual(r.cpus.map((c) => c.coreThrottleCount), [2081, 1877, 2079, 1877]);
  assert.ok(r.cpus.every((c) => c.packageThrottleCount === 4127), 'package counter is the same on every CPU of the package');
  assert.ok(r.cpus.every((c) => c.curFreqKHz !== null && c.maxFreqKHz !== null && c.curFreqKHz < c.maxFreqKHz * 0.35), 'far below max');
});

test('readCpuThermal: desktop-cool has zero counters and frequencies near max', () => {
  const r = readCpuThermal(linuxTree('desktop-cool', 'sys'));
  assert.equal(r.cpus.length, 4);
  assert.ok(r.cpus.every((c) => c.coreThrottleCount === 0 && c.packageThrottleCount === 0), 'counters 0');
  assert.ok(r.cpus.every((c) => c.curFreqKHz !== null && c.curFreqKHz >= 0.95 * 4200000), 'near max');
});

test('readCpuThermal: VM trees have cpuN directories but no CPU in the result', () => {
  const none = readCpuThermal(linuxTree('vm-none', 'sys'));
  assert.equal(none.cpuDirs, 4);
  assert.deepEqual(none.cpus, [], 'bare cpuN dirs are not CPUs with evidence');
  assert.equal(none.dirError, null);
  const ci = readCpuThermal(linuxTree('vm-ci', 'sys'));
  assert.equal(ci.cpuDirs, 2);
  assert.deepEqual(ci.cpus, []);
  const missing = readCpuThermal(createRootedFs(resolve(here, '../fixtures/thermal/linux/no-such-tree/sys')));
  assert.deepEqual([missing.cpuDirs, missing.cpus, missing.dirError], [0, [], null], 'a missing root is absent, not an error');
});

test('readCoolingDevices: numeric order, thermal zones skipped, negative cur_state kept', () => {
  const r = readCoolingDevices(linuxTree('laptop-throttled', 'sys'));
  assert.deepEqual(r.issues, []);
  assert.deepEqual(
    r.devices.map((d) => [d.name, d.type, d.curState, d.maxState]),
    [
      ['cooling_device0', 'Processor', 3, 10],
      ['cooling_device1', 'Processor', 3, 10],
      ['cooling_device2', 'Processor', 3, 10],
      ['cooling_device3', 'Processor', 3, 10],
      ['cooling_device4', 'intel_powerclamp', -1, 50],
      ['cooling_device5', 'Fan', 1, 1],
    ],
  );
  assert.deepEqual(readCoolingDevices(linuxTree('vm-ci', 'sys')).devices, [], 'the CI VM has an empty /sys/class/thermal');
  assert.deepEqual(readCoolingDevices(linuxTree('vm-none', 'sys')).devices, [], 'no /sys/class/thermal at all');
});

test('isCpuLimitingCoolingType / coolingDeviceCanAct', () => {
  for (const t of ['Processor', 'intel_powerclamp', 'TCC Offset', 'cpufreq-cpu0', 'thermal-cpufreq-0']) assert.ok(isCpuLimitingCoolingType(t), t);
  for (const t of ['Fan', 'LCD', 'Memory controller', '']) assert.ok(!isCpuLimitingCoolingType(t), `${t} does not slow the CPU`);
  assert.ok(!coolingDeviceCanAct({ name: 'cooling_device0', type: 'Processor', curState: 0, maxState: 0 }), 'max_state 0 can never cool');
  assert.ok(coolingDeviceCanAct({ name: 'cooling_device0', type: 'Processor', curState: 0, maxState: 3 }), 'max_state 3');
});

test('readCpuPressure: ok, absent', () => {
  const ok = readCpuPressure(linuxTree('laptop-throttled', 'proc'));
  assert.equal(ok.kind, 'ok');
  if (ok.kind === 'ok') assert.equal(ok.pressure.some.avg10, 41.27);
  assert.equal(readCpuPressure(createRootedFs(resolve(here, '../fixtures/thermal/linux/vm-ci/sys'))).kind, 'absent');
});

test('parsePmsetTherm: Intel block after a timestamped line, last values win', () => {
  const p = parsePmsetTherm(darwinCapture('intel-throttled', 'pmset.out'));
  assert.deepEqual(p.notes, ['No thermal warning level has been recorded', 'No performance warning level has been recorded']);
  assert.equal(p.blocks.length, 1);
  assert.deepEqual(p.blocks[0], { timestamp: '2026-11-20 14:03:52 +0100', event: 'CPU Power notify', values: { CPU_Scheduler_Limit: 40, CPU_Available_CPUs: 8, CPU_Speed_Limit: 28 } });
  assert.deepEqual([p.cpuSpeedLimitPercent, p.cpuSchedulerLimitPercent, p.cpuAvailableCpus, p.nothingRecorded], [28, 40, 8, false]);
  assert.deepEqual(p.unrecognised, []);

  const two = parsePmsetTherm('2021-05-02 11:51:57 +0800 CPU Power notify\n\tCPU_Speed_Limit \t= 100\n2021-05-02 11:59:01 +0800 CPU Power notify\n\tCPU_Speed_Limit \t= 63\n');
  assert.equal(two.cpuSpeedLimitPercent, 63, 'the latest notification');
});

test('parsePmsetTherm: spaces instead of tabs (forum copies) and values with no timestamp line', () => {
  const spaced = parsePmsetTherm('Note: No thermal warning level has been recorded\n2020-11-24 13:10:40 +0100 CPU Power notify\n    CPU_Scheduler_Limit     = 100\n    CPU_Available_CPUs  = 8\n    CPU_Speed_Limit     = 35\n');
  assert.equal(spaced.cpuSpeedLimitPercent, 35);
  const bare = parsePmsetTherm('CPU_Speed_Limit = 90\n');
  assert.deepEqual(bare.blocks, [{ timestamp: null, event: null, values: { CPU_Speed_Limit: 90 } }]);
});

test('parsePmsetTherm: Apple Silicon Note: lines mean nothing recorded, never 100', () => {
  for (const s of ['apple-silicon-nominal', 'apple-silicon-heavy']) {
    const p = parsePmsetTherm(darwinCapture(s, 'pmset.out'));
    assert.equal(p.notes.length, 3, s);
    assert.deepEqual([p.cpuSpeedLimitPercent, p.cpuSchedulerLimitPercent, p.nothingRecorded], [null, null, true], s);
  }
  const err = parsePmsetTherm('Error: No thermal warning level with error code 0xe00002c7\n');
  assert.deepEqual(err.errors, ['No thermal warning level with error code 0xe00002c7'], 'an Error: line is kept as an error');
  assert.deepEqual(err.unrecognised, []);
  assert.equal(err.thermalWarningLevel, null, 'an error is never a level');
  assert.equal(err.nothingRecorded, false, 'an error line is not "nothing recorded"');
  assert.deepEqual([...PMSET_THERM_ARGV], ['pmset', '-g', 'therm']);
});

test('parseNotifyutilGet: the key and its state', () => {
  assert.deepEqual(parseNotifyutilGet(darwinCapture('apple-silicon-nominal', 'notifyutil.out')), { ok: true, value: 0 });
  assert.deepEqual(parseNotifyutilGet(darwinCapture('apple-silicon-heavy', 'notifyutil.out')), { ok: true, value: 2 });
  assert.deepEqual(parseNotifyutilGet('com.apple.system.thermalpressurelevel\t4\n'), { ok: true, value: 4 });
  assert.deepEqual([...NOTIFYUTIL_THERMAL_ARGV], ['notifyutil', '-g', 'com.apple.system.thermalpressurelevel']);
});

test('parseNotifyutilGet: anything else is a problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty output/],
    ['com.apple.system.other 1\n', /no line for com\.apple\.system\.thermalpressurelevel/],
    ['com.apple.system.thermalpressurelevel heavy\n', /not a number/],
    ['com.apple.system.thermalpressurelevel -1\n', /not a number/],
    ['com.apple.system.thermalpressurelevel 1\ncom.apple.system.thermalpressurelevel 2\n', /2 lines/],
    ['com.apple.system.thermalpressurelevelX 1\n', /no line for/],
  ];
  for (const [text, want] of cases) {
    const r = parseNotifyutilGet(text);
    assert.equal(r.ok, false, JSON.stringify(text));
    if (!r.ok) assert.match(r.problem, want);
  }
});

test('thermalPressureLevelName: macOS scale 0..4, anything else unknown', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(thermalPressureLevelName), ['nominal', 'moderate', 'heavy', 'trapping', 'sleeping']);
  assert.equal(thermalPressureLevelName(20), 'unknown (20)', 'iOS-style values are not guessed at');
});
