// Apple GPU evidence: the system-wide GPU memory in use (ioreg) and the per-process Metal/MPS
// memory of the suspect pids (footprint); memory pressure is the memory probe's
// (src/probes/memory.ts). See docs/probes/gpu.md.
//
// Why not RSS: MPS allocations live in unified memory that `ps` does not count (a process "shows a
// steady ~3 GB right up until the process dies" while the driver holds 32 GB:
// aedocw/epub2tts-chatterbox#19, failure-modes.md §4.2).
import type { Host } from '../host/host.js';
import type { GpuDevice, GpuEvidence, GpuProcess } from '../model/gpu.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { ioAcceleratorDirtyBytes, parseFootprint } from '../os/darwin/footprint.js';
import { parseIoregAccelerators, type IoregAccelerator } from '../os/darwin/ioreg.js';
import type { GpuProbeOptions } from './types.js';
import { describeCommandFailure } from '../host/run-command.js';

const PROBE = 'gpu.apple';
const MiB = 1024 * 1024;

/** -r: the matched objects as roots; -d 1: no children; -w 0: no line truncation; -c: by class. */
export const IOREG_ARGV: readonly string[] = ['ioreg', '-r', '-d', '1', '-w', '0', '-c', 'IOAccelerator'];
/** 1 normal, 2 warn, 4 critical (there is no 3): failure-modes.md §4.2. */

/**
 * One pid per call. With several pids footprint de-duplicates shared objects and shows them apart
 * from private ones, and adds a combined summary (footprint(1)); one process per call keeps every
 * figure that process's own. A pid that exited then fails alone.
 */
export function footprintArgv(pid: number): string[] {
  return ['footprint', String(pid)];
}

/** footprint walks the whole address space: seconds for a large process. */
const FOOTPRINT_TIMEOUT_MS = 30_000;



function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toDevice(a: IoregAccelerator, index: number): GpuDevice {
  const device: GpuDevice = {
    index,
    uuid: null,
    name: a.model ?? a.className,
    memoryUsedMiB: a.inUseSystemMemoryBytes === null ? null : a.inUseSystemMemoryBytes / MiB,
    // Unified memory has no VRAM size, and hw.memsize is not a GPU limit (failure-modes.md §7.4).
    memoryTotalMiB: null,
    utilizationPercent: a.deviceUtilizationPercent,
    temperatureC: null,
    activeEventReasons: [],
    eventReasonCounters: {},
  };
  // A discrete GPU's VRAM, apart from system memory (src/os/darwin/ioreg.ts). memoryTotalMiB stays
  // null: it would pair a VRAM size with a system-memory figure.
  if (a.vramUsedBytes !== null) device.vramUsedMiB = a.vramUsedBytes / MiB;
  return device;
}

/** "IOAccelerator (graphics)" dirty memory of each pid, one footprint call per pid. */
async function readFootprints(host: Host, pids: number[], sources: string[], issues: SnapshotIssue[]): Promise<GpuProcess[]> {
  const out: GpuProcess[] = [];
  const failedPids: number[] = [];
  const reasons: string[] = [];
  for (const pid of pids) {
    const argv = footprintArgv(pid);
    const source = argv.join(' ');
    sources.push(source);
    const res = await host.run(argv, { timeoutMs: FOOTPRINT_TIMEOUT_MS });
    if (res.notFound) {
      issues.push({ probe: PROBE, kind: 'unavailable', message: 'footprint is not installed (not found on PATH): per-process GPU memory unknown', pids });
      return out;
    }
    if (res.timedOut || res.code !== 0) {
      failedPids.push(pid);
      reasons.push(`${pid}: ${describeCommandFailure(res)}`);
      continue;
    }
    // An unexpected row is an issue; the process's other rows still count.
    const parsed = parseFootprint(res.stdout, source);
    for (const p of parsed.problems) issues.push({ probe: PROBE, kind: 'parse', message: p.message, pids: [pid] });
    const block = parsed.processes.find((p) => p.pid === pid);
    if (!block) {
      issues.push({ probe: PROBE, kind: 'parse', message: `${source} printed no block for pid ${pid}`, pids: [pid] });
      continue;
    }
    out.push({ pid, usedMemoryMiB: ioAcceleratorDirtyBytes(block) / MiB, gpuUuid: null, source: 'footprint', footprintMiB: block.footprintBytes / MiB });
  }
  if (failedPids.length > 0) {
    // footprint needs root for other users' processes (footprint(1)); an exited pid fails too.
    issues.push({
      probe: PROBE,
      kind: 'failed',
      message: `footprint failed for ${failedPids.length} process(es) (exited, or another user's without root): ${reasons.join('; ')}`,
      pids: failedPids,
    });
  }
  return out;
}

export async function appleGpu(host: Host, opts: GpuProbeOptions = {}): Promise<Outcome<GpuEvidence>> {
  const argv = [...IOREG_ARGV];
  const source = argv.join(' ');
  const res = await host.run(argv);
  if (res.notFound) return unavailable('ioreg is not installed (not found on PATH): no Apple GPU evidence', source);
  if (res.timedOut || res.code !== 0) return failed(`ioreg ${describeCommandFailure(res)}`, source);
  let accelerators: IoregAccelerator[];
  try {
    accelerators = parseIoregAccelerators(res.stdout, source);
  } catch (e) {
    return failed(message(e), source);
  }
  if (accelerators.length === 0) return unavailable('ioreg lists no IOAccelerator: no GPU to report on', source);

  const sources = [source];
  const issues: SnapshotIssue[] = [];
  const known = accelerators.map((a) => a.inUseSystemMemoryBytes).filter((b): b is number => b !== null);
  if (known.length === 0) {
    issues.push({ probe: PROBE, kind: 'unavailable', message: 'no accelerator reports "In use system memory" (Apple Silicon) or "inUseSysMemoryBytes" (Intel/AMD drivers): system GPU memory unknown' });
  }
  const pids = [...new Set(opts.pids ?? [])].sort((a, b) => a - b);
  const processes = await readFootprints(host, pids, sources, issues);

  return ok<GpuEvidence>(
    {
      vendor: 'apple',
      devices: accelerators.map(toDevice),
      processes,
      inUseSystemMemoryBytes: known.length === 0 ? null : known.reduce((a, b) => a + b, 0),
      driverVersion: null,
      sources,
    },
    source,
    issues,
  );
}
