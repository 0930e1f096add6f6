// Rules on the macOS evidence the darwin probes now read: pmset's warning levels
// (thermal-throttling) and a discrete GPU's VRAM kept apart from system memory (gpu-memory-held).
// Pure: built inputs, as test/rules/rules.test.ts does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RULES } from '../../src/rules/index.js';
import type { GpuDevice, GpuEvidence } from '../../src/model/gpu.js';
import type { ThermalEvidence } from '../../src/model/thermal.js';
import { INIT, proc, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { inputFrom, okValue, runRule } from '../helpers/rule-tester.js';

const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];

const mac = (over: Partial<ThermalEvidence>): ThermalEvidence => ({ platform: 'darwin', cpus: [], coolingDevices: [], cpuPressureSomeAvg10: null, cpuSpeedLimitPercent: 100, thermalPressureLevel: 0, gpuThermalSlowdown: [], sources: ['pmset -g therm'], ...over });
const window = (first: ThermalEvidence, last: ThermalEvidence) => inputFrom(live, [], { thermal: okValue({ first, last }) });
const thermal = (first: ThermalEvidence, last = first) => runRule(RULES['thermal-throttling'], window(first, last));

test('thermal-throttling: a recorded Thermal Warning Level other than 0 (or 255, unknown) is heat, with high confidence', () => {
  for (const level of [5, 10, 100, 110]) {
    const f = thermal(mac({ thermalWarningLevel: level, performanceWarningLevel: 0 }));
    assert.equal(f.length, 1, String(level));
    assert.deepEqual([f[0]!.messageId, f[0]!.confidence], ['throttled', 'high'], String(level));
    assert.match(f[0]!.evidence[0]!.text, new RegExp(`^Thermal Warning Level = ${level} \\(`));
    assert.equal(f[0]!.evidence[0]!.source, 'pmset -g therm');
  }
  // With the performance warning beside it, both lines are evidence.
  const both = thermal(mac({ thermalWarningLevel: 5, performanceWarningLevel: 100 }));
  assert.deepEqual(both[0]!.evidence.map((e) => e.text.split(' (')[0]), ['Thermal Warning Level = 5', 'Performance Warning Level = 100']);
  // Levels 0 and 255 (unknown) are no evidence, and a recorded 0 is a direct "not throttled".
  assert.deepEqual(thermal(mac({ thermalWarningLevel: 0, performanceWarningLevel: 0 })), []);
  assert.deepEqual(thermal(mac({ thermalWarningLevel: 255, performanceWarningLevel: 0 })), []);
  // Absent (an older document, or Apple Silicon): the other sources decide, as before.
  assert.deepEqual(thermal(mac({})), []);
  const speed = thermal(mac({ cpuSpeedLimitPercent: 28 }));
  assert.deepEqual([speed[0]?.messageId, speed[0]?.evidence.map((e) => e.text)], ['throttled', ['CPU_Speed_Limit = 28 %']]);
});

test('thermal-throttling: a Performance Warning Level alone is reported with low confidence (heat or power)', () => {
  const f = thermal(mac({ thermalWarningLevel: 0, performanceWarningLevel: 100 }));
  assert.equal(f.length, 1);
  assert.deepEqual([f[0]!.messageId, f[0]!.confidence, f[0]!.severity], ['performanceWarning', 'low', 'warning']);
  assert.match(f[0]!.title, /Performance Warning Level 100/);
});

const device = (over: Partial<GpuDevice>): GpuDevice => ({ index: 0, uuid: null, name: 'AMD Radeon Pro 5500M', memoryUsedMiB: 32, memoryTotalMiB: null, utilizationPercent: 0, temperatureC: null, activeEventReasons: [], eventReasonCounters: {}, ...over });
const apple = (devices: GpuDevice[], inUse: number): GpuEvidence => ({ vendor: 'apple', devices, processes: [], inUseSystemMemoryBytes: inUse, memoryPressureLevel: 1, driverVersion: null, sources: ['ioreg'] });
const held = (before: GpuEvidence, after: GpuEvidence) => runRule(RULES['gpu-memory-held'], inputFrom(live, [], { gpu: okValue(after), gpuBefore: before }));

test('gpu-memory-held on an Intel Mac: discrete VRAM held after a stop is its own evidence, never read as system memory', () => {
  const MiB = 2 ** 20;
  const f = held(apple([device({ vramUsedMiB: 100 })], 32 * MiB), apple([device({ vramUsedMiB: 2148 })], 32 * MiB));
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.evidence.map((e) => e.source), ['ioreg IOAccelerator "vramUsedBytes"']);
  assert.match(f[0]!.evidence[0]!.text, /AMD Radeon Pro 5500M\): 100 MiB of its VRAM used before the run, 2148 MiB after/);
  // System memory up by 1 GiB: one line, from the system figure, not a second one from the device
  // row (an Apple device's memoryUsedMiB is its share of that same figure, not nvidia-smi's).
  const sys = held(apple([device({ memoryUsedMiB: 32 })], 32 * MiB), apple([device({ memoryUsedMiB: 1056 })], 1056 * MiB));
  assert.deepEqual(sys[0]!.evidence.map((e) => e.source), ['ioreg IOAccelerator "In use system memory"']);
  // Steady VRAM: nothing.
  assert.deepEqual(held(apple([device({ vramUsedMiB: 2148 })], 32 * MiB), apple([device({ vramUsedMiB: 2148 })], 32 * MiB)), []);
});
