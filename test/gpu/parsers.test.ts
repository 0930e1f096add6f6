// Table tests for the pure GPU parsers: nvidia-smi CSV, ioreg IOAccelerator, footprint.
// Samples are the published ones cited in ../shared/reference/failure-modes.md (§5.4, §7.4–7.6) or
// the reconstructed fixtures of test/fixtures/gpu (see SOURCE.md there); none is a real capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../src/host/errors.js';
import {
  activeClockReasons,
  CLOCK_QUERIES,
  clockQueryArgv,
  clockQueryFields,
  computeAppsArgv,
  decodeClockEventMask,
  driverUnreachableMessage,
  gpuQueryArgv,
  knownCounters,
  nvidiaCell,
  parseClockQuery,
  parseComputeApps,
  parseGpuQuery,
  rejectedQueryField,
} from '../../src/os/any/nvidia-smi.js';
import { footprintBytes, ioAcceleratorDirtyBytes, parseFootprint } from '../../src/os/darwin/footprint.js';
import { parseIoregAccelerators, parseIoregDict } from '../../src/os/darwin/ioreg.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (scenario: string, name: string) => readFileSync(join(here, '../fixtures/gpu', scenario, name), 'utf8');
const SRC = 'test';
const UUID = 'GPU-8f3c2a71-5d4e-4b9a-a0c6-2e7d91b4f0a3';

function throwsParseError(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
    assert.ok(e.message.includes(fragment), `message ${JSON.stringify(e.message)} should quote ${JSON.stringify(fragment)}`);
    return true;
  });
}

// ---------------------------------------------------------------- nvidia-smi

test('argv: the exact queries, fields in the order the parsers read them', () => {
  assert.deepEqual(gpuQueryArgv(), [
    'nvidia-smi',
    '--query-gpu=index,uuid,name,memory.used,memory.total,utilization.gpu,temperature.gpu,driver_version',
    '--format=csv,noheader,nounits',
  ]);
  assert.deepEqual(computeAppsArgv(), ['nvidia-smi', '--query-compute-apps=pid,used_memory,gpu_uuid', '--format=csv,noheader,nounits']);
  assert.equal(
    clockQueryArgv({ naming: 'event', counters: true })[1],
    '--query-gpu=index,clocks_event_reasons.active,clocks_event_reasons.sw_thermal_slowdown,clocks_event_reasons.hw_thermal_slowdown,' +
      'clocks_event_reasons.hw_slowdown,clocks_event_reasons.sw_power_cap,clocks_event_reasons_counters.sw_thermal_slowdown,' +
      'clocks_event_reasons_counters.hw_thermal_slowdown,clocks_event_reasons_counters.sw_power_cap',
  );
  assert.equal(
    clockQueryArgv({ naming: 'throttle', counters: false })[1],
    '--query-gpu=index,clocks_throttle_reasons.active,clocks_throttle_reasons.sw_thermal_slowdown,clocks_throttle_reasons.hw_thermal_slowdown,' +
      'clocks_throttle_reasons.hw_slowdown,clocks_throttle_reasons.sw_power_cap',
  );
  // The fallback order: counters dropped first, then the pre-rename names (which have no counters).
  assert.deepEqual(CLOCK_QUERIES.map((q) => clockQueryFields(q).length), [9, 6, 6]);
});

test('nvidiaCell: [N/A], N/A, [Not Supported] and other bracketed notes are unknown', () => {
  for (const raw of ['[N/A]', 'N/A', ' [Not Supported] ', '[Requested functionality has been deprecated]', '', '  ']) {
    assert.equal(nvidiaCell(raw), null, JSON.stringify(raw));
  }
  assert.equal(nvidiaCell(' NVIDIA A10G '), 'NVIDIA A10G');
  assert.equal(nvidiaCell('0'), '0');
});

test('parseGpuQuery: by position, numbers as numbers, [N/A] as null', () => {
  assert.deepEqual(parseGpuQuery(fixture('nvidia-live', 'query-gpu.out'), SRC), [
    { index: 0, uuid: UUID, name: 'NVIDIA A10G', memoryUsedMiB: 10460, memoryTotalMiB: 23028, utilizationPercent: 37, temperatureC: 54, driverVersion: '550.127.05' },
  ]);
  // Two GPUs, the second with unknowns (a MIG-enabled GPU reports no utilization; ROCm-like [N/A]).
  const two = parseGpuQuery(
    `0, ${UUID}, NVIDIA H100 80GB HBM3, 19818, 81559, 100, 59, 590.48.01\r\n` + `1, GPU-00000000-0000-0000-0000-000000000001, NVIDIA H100 80GB HBM3, [N/A], 81559, [N/A], N/A, 590.48.01\n\n`,
    SRC,
  );
  assert.equal(two.length, 2);
  assert.deepEqual(
    [two[1]!.index, two[1]!.memoryUsedMiB, two[1]!.memoryTotalMiB, two[1]!.utilizationPercent, two[1]!.temperatureC],
    [1, null, 81559, null, null],
  );
  assert.deepEqual(parseGpuQuery('', SRC), []);
  // Units tolerated if `nounits` was ignored (the 590.48.01 capture without it prints `19818 MiB`).
  assert.equal(parseGpuQuery(`0, ${UUID}, X, 19818 MiB, 81559 MiB, 100 %, 59, 590.48.01`, SRC)[0]!.memoryUsedMiB, 19818);
});

test('parseGpuQuery: malformed lines are ParseErrors that quote the line', () => {
  throwsParseError(() => parseGpuQuery(`0, ${UUID}, NVIDIA A10G, 10460, 23028`, SRC), 'NVIDIA A10G, 10460, 23028');
  throwsParseError(() => parseGpuQuery(`0, ${UUID}, NVIDIA A10G, lots, 23028, 37, 54, 550.127.05`, SRC), 'memory.used');
  throwsParseError(() => parseGpuQuery(`[N/A], ${UUID}, NVIDIA A10G, 1, 2, 3, 4, 5`, SRC), 'index');
  // The header must never be taken for data (we ask for noheader; a header means a changed argv).
  throwsParseError(() => parseGpuQuery('index, uuid, name, memory.used [MiB], memory.total [MiB], utilization.gpu [%], temperature.gpu, driver_version', SRC), 'index');
});

test('parseComputeApps: pids with MiB and GPU uuid; empty and "No running processes found" are none', () => {
  assert.deepEqual(parseComputeApps(fixture('nvidia-orphans', 'compute-apps.out'), SRC), [
    { pid: 4103, usedMemoryMiB: 5212, gpuUuid: UUID },
    { pid: 4104, usedMemoryMiB: 5212, gpuUuid: UUID },
  ]);
  assert.deepEqual(parseComputeApps(fixture('nvidia-container', 'compute-apps.out'), SRC), []);
  assert.deepEqual(parseComputeApps('No running processes found\n', SRC), []);
  // used_memory is [N/A] in containers and under WDDM (--help-query-compute-apps).
  assert.deepEqual(parseComputeApps(`1895238, [N/A], ${UUID}\n`, SRC), [{ pid: 1895238, usedMemoryMiB: null, gpuUuid: UUID }]);
  throwsParseError(() => parseComputeApps(`/cuda-samples/sample, 1895238, ${UUID}`, SRC), '/cuda-samples/sample');
  throwsParseError(() => parseComputeApps('1895238, 100', SRC), '1895238, 100');
});

test('parseClockQuery: Active / Not Active / [N/A], hex mask, counters by position', () => {
  const q = { naming: 'event' as const, counters: true };
  const [row] = parseClockQuery(fixture('nvidia-thermal', 'clocks-events-counters.out'), SRC, q);
  assert.ok(row, 'one row');
  assert.equal(row.index, 0);
  assert.equal(row.activeMask, 0x48n);
  assert.deepEqual(row.flags, { sw_thermal_slowdown: false, hw_thermal_slowdown: true, hw_slowdown: true, sw_power_cap: false });
  assert.deepEqual(row.counters, { sw_thermal_slowdown: 0, hw_thermal_slowdown: 187654321, sw_power_cap: 2500000 });
  assert.deepEqual(activeClockReasons(row), ['hw_thermal_slowdown', 'hw_slowdown']);

  // [N/A] is unknown, never "not active"; unknown counters are left out of the device record.
  const [na] = parseClockQuery('0, [N/A], [N/A], N/A, NotActive, [Not Supported], [N/A], 12 us, [N/A]', SRC, q);
  assert.ok(na, 'one row');
  assert.equal(na.activeMask, null);
  assert.deepEqual(na.flags, { sw_thermal_slowdown: null, hw_thermal_slowdown: null, hw_slowdown: false, sw_power_cap: null });
  assert.deepEqual(knownCounters(na), { hw_thermal_slowdown: 12 });
  assert.deepEqual(activeClockReasons(na), []);

  // The throttle query has no counter columns.
  const [old] = parseClockQuery(fixture('nvidia-old-driver', 'clocks-throttle.out'), SRC, { naming: 'throttle', counters: false });
  assert.ok(old, 'one row');
  assert.deepEqual(old.counters, {});
  assert.deepEqual(activeClockReasons(old), ['sw_power_cap']);
});

test('parseClockQuery: malformed rows are ParseErrors', () => {
  const q = { naming: 'event' as const, counters: false };
  throwsParseError(() => parseClockQuery('0, 0x0, Not Active, Not Active, Not Active', SRC, q), 'expected 6');
  throwsParseError(() => parseClockQuery('0, 0x0, Maybe, Not Active, Not Active, Not Active', SRC, q), 'Maybe');
  throwsParseError(() => parseClockQuery('0, 72, Not Active, Not Active, Not Active, Not Active', SRC, q), 'hex bitmask');
});

test('decodeClockEventMask: nvml.h bits; gpu_idle is not a slowdown', () => {
  assert.deepEqual(decodeClockEventMask(0x0000000000000004n), ['sw_power_cap']);
  assert.deepEqual(decodeClockEventMask(0x00000000000000a0n), ['sw_thermal_slowdown', 'hw_power_brake_slowdown']);
  assert.deepEqual(decodeClockEventMask(0n), []);
  // NVIDIA/nvidia-settings#80: a supported mask of 0x1FF covers all nine documented bits.
  assert.equal(decodeClockEventMask(0x1ffn).length, 9);
  assert.deepEqual(decodeClockEventMask(0x401n), ['gpu_idle', 'bit_0x400']);
  const idle = { index: 0, activeMask: 0x1n, flags: { sw_thermal_slowdown: false }, counters: {} };
  assert.deepEqual(activeClockReasons(idle), [], 'gpu_idle is Active on any idle GPU (JuliaGPU/CUDA.jl#2194)');
  // Reasons without a flag column still come through the mask.
  assert.deepEqual(activeClockReasons({ ...idle, activeMask: 0x90n }), ['sync_boost', 'hw_power_brake_slowdown']);
});

test('rejectedQueryField and driverUnreachableMessage read nvidia-smi error texts', () => {
  assert.equal(rejectedQueryField(fixture('nvidia-old-driver', 'clocks-events-counters.out')), 'clocks_event_reasons.active');
  assert.equal(rejectedQueryField('Field "clocks_event_reasons_counters.sw_power_cap" is not a valid field to query.\n'), 'clocks_event_reasons_counters.sw_power_cap');
  assert.equal(rejectedQueryField('0, 0x0, Not Active'), null);
  assert.equal(
    driverUnreachableMessage(fixture('nvidia-no-driver', 'query-gpu.out')),
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
  );
  // The message also circulates with a typographic apostrophe (qixuema/envs#4).
  assert.ok(driverUnreachableMessage('NVIDIA-SMI has failed because it couldn‘t communicate with the NVIDIA driver.') !== null, 'typographic apostrophe');
  assert.equal(driverUnreachableMessage('Failed to initialize NVML: Driver/library version mismatch'), null);
});

// ---------------------------------------------------------------- ioreg

// M4 sample, failure-modes.md §7.4 ("What this Mac's ioreg answers, verbatim", abridged there):
// the (driver) key comes FIRST and reads 0; model comes after PerformanceStatistics.
const M4 = [
  '+-o AGXAcceleratorG16G  <class AGXAcceleratorG16G, id 0x1000003c1, registered, matched, active, busy 0 (5 ms), retain 23>',
  '    {',
  '      "PerformanceStatistics" = {"In use system memory (driver)"=0,"Alloc system memory"=1574862848,"Device Utilization %"=21,"SplitSceneCount"=0,"In use system memory"=351141888}',
  '      "model" = "Apple M4"',
  '      "gpu-core-count" = 10',
  '    }',
  '',
].join('\n');

test('ioreg: the exact "In use system memory" key, never the (driver) one, in any key order', () => {
  const [m4] = parseIoregAccelerators(M4, SRC);
  assert.ok(m4, 'one accelerator');
  assert.equal(m4.className, 'AGXAcceleratorG16G');
  assert.equal(m4.model, 'Apple M4');
  assert.equal(m4.inUseSystemMemoryBytes, 351141888);
  assert.equal(m4.deviceUtilizationPercent, 21);
  assert.equal(m4.performanceStatistics?.['In use system memory (driver)'], 0);

  // M1 Pro sample (exelban/stats#1094): AGCInfo first, the figure last, model after.
  const [m1] = parseIoregAccelerators(fixture('apple-m1', 'ioreg.out'), SRC);
  assert.ok(m1, 'one accelerator');
  assert.deepEqual([m1.className, m1.model, m1.inUseSystemMemoryBytes, m1.deviceUtilizationPercent], ['AGXAcceleratorG13X', 'Apple M1 Pro', 340983808, 2]);
  assert.equal(m1.performanceStatistics?.['Alloc system memory'], 1214005248);

  // model before PerformanceStatistics, the figure first inside it, the (driver) key after it.
  const reordered = [
    '+-o AGXAcceleratorG16G  <class AGXAcceleratorG16G, id 0x1000003c1, registered, matched, active, busy 0 (5 ms), retain 23>',
    '    {',
    '      "model" = "Apple M4"',
    '      "PerformanceStatistics" = {"In use system memory"=7,"In use system memory (driver)"=0,"Device Utilization %"=0}',
    '    }',
  ].join('\n');
  const [s] = parseIoregAccelerators(reordered, SRC);
  assert.deepEqual([s?.model, s?.inUseSystemMemoryBytes, s?.deviceUtilizationPercent], ['Apple M4', 7, 0]);
});

test('ioreg: Intel "inUseSysMemoryBytes", discrete VRAM apart, several accelerators, none, and a broken dictionary', () => {
  // Reconstructed: an Intel iGPU plus an AMD dGPU (vramUsedBytes is VRAM, not system memory). The
  // Intel key is the one the real iMac 2019 output shows (test/darwin/captured.test.ts).
  const text = [
    '+-o IntelAccelerator  <class IntelAccelerator, id 0x100000438, registered, matched, active, busy 0 (0 ms), retain 19>',
    '    {',
    '      "PerformanceStatistics" = {"inUseSysMemoryBytes"=536870912,"Device Utilization %"=4,"SurfaceCount"={"a"=1,"b"=2}}',
    '    }',
    '+-o AMDRadeonX6000_AMDNavi14GraphicsAccelerator  <class AMDRadeonX6000_AMDNavi14GraphicsAccelerator, id 0x1000004a2, registered, matched, active, busy 0 (0 ms), retain 20>',
    '    {',
    '      "PerformanceStatistics" = {"vramUsedBytes"=1073741824,"GPU Activity(%)"=0,"Temperature(C)"=44}',
    '      "model" = <"AMD Radeon Pro 5500M">',
    '    }',
  ].join('\n');
  const accs = parseIoregAccelerators(text, SRC);
  assert.deepEqual(
    accs.map((a) => [a.className, a.model, a.inUseSystemMemoryBytes, a.vramUsedBytes, a.deviceUtilizationPercent]),
    [
      ['IntelAccelerator', null, 536870912, null, 4],
      ['AMDRadeonX6000_AMDNavi14GraphicsAccelerator', 'AMD Radeon Pro 5500M', null, 1073741824, null],
    ],
  );
  assert.deepEqual(parseIoregAccelerators('', SRC), []);
  assert.deepEqual(parseIoregDict('"a"=1,"b"="x, y","c"={"d"=2}', SRC), { a: 1, b: 'x, y', c: '{"d"=2}' });
  throwsParseError(() => parseIoregDict('"a"=1,b=2', SRC), 'b=2');
});

// ---------------------------------------------------------------- footprint

test('footprint: per-pid header, categories, binary units', () => {
  assert.equal(footprintBytes('4464', 'KB'), 4464 * 1024);
  assert.equal(footprintBytes('1.5', 'GB'), 1.5 * 1024 ** 3);
  assert.equal(footprintBytes('0', 'B'), 0);

  const [p] = parseFootprint(fixture('apple-m1', 'footprint-4103.out'), SRC).processes;
  assert.ok(p, 'one process');
  assert.equal(p.pid, 4103);
  assert.equal(p.name, null);
  assert.equal(p.footprintBytes, 60 * 1024 ** 2);
  assert.deepEqual(p.categories[2], { category: 'IOAccelerator (graphics)', dirtyBytes: 2624 * 1024, cleanBytes: 0, reclaimableBytes: 25 * 1024 ** 2, regions: 305 });
  assert.equal(p.categories[1]?.category, 'Owned physical footprint (unmapped) (graphics)');
  assert.equal(ioAcceleratorDirtyBytes(p), 2624 * 1024);
});

test('footprint: several blocks, a named header, rules, TOTAL, a summary that is not a process', () => {
  // Layout reconstructed around the §7.5 rows: `====` rules, `---` separators and a TOTAL row.
  const text = [
    '======================================================================',
    'python3.11 [4103]: 64-bit    Footprint: 5436 MB (16384 bytes per page)',
    '======================================================================',
    '',
    '  Dirty      Clean  Reclaimable    Regions    Category',
    '    ---        ---          ---        ---    ---',
    '5312 MB        0 B          0 B        612    IOAccelerator (graphics)',
    '  64 MB     1.5 MB          0 B         40    MALLOC_SMALL',
    '    ---        ---          ---        ---    ---',
    '5436 MB      41 MB        12 MB       1873    TOTAL',
    '',
    '[4104]: 64-bit    Footprint: 12 MB (16384 bytes per page)',
    '  Dirty      Clean  Reclaimable    Regions    Category',
    '  12 MB        0 B          0 B          9    MALLOC_TINY',
    '',
    'Summary Footprint: 5448 MB',
    '5448 MB      41 MB        12 MB       1882    TOTAL',
  ].join('\n');
  const { processes: ps, problems } = parseFootprint(text, SRC);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    ps.map((p) => [p.pid, p.name, p.footprintBytes, p.categories.length, ioAcceleratorDirtyBytes(p)]),
    [
      [4103, 'python3.11', 5436 * 1024 ** 2, 2, 5312 * 1024 ** 2],
      [4104, null, 12 * 1024 ** 2, 1, 0],
    ],
  );
  assert.equal(ps[0]?.categories[1]?.cleanBytes, 1.5 * 1024 ** 2);
  assert.equal(ps[0]?.total?.dirtyBytes, 5436 * 1024 ** 2);
  assert.equal(ps[1]?.total, null, 'the summary TOTAL is not charged to the last process');
  assert.deepEqual(parseFootprint('footprint: no process matches 99999\n', SRC), { processes: [], problems: [] });
  // A malformed row is a problem naming its line and pid; the block and its other rows stay.
  const odd = parseFootprint('[1]: 64-bit    Footprint: 1 MB\n12 MB   oops   IOSurface\n1 MB 0 B 0 B 3 IOAccelerator (graphics)\n', SRC);
  assert.deepEqual(odd.processes.map((p) => [p.pid, ioAcceleratorDirtyBytes(p)]), [[1, 1024 ** 2]]);
  assert.equal(odd.problems.length, 1);
  assert.equal(odd.problems[0]?.pid, 1);
  assert.match(odd.problems[0]!.message, /line 2: unexpected category row, skipped: "12 MB {3}oops {3}IOSurface"/);
});
