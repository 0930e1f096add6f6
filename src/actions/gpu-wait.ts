// After clean has ended processes that held GPU memory: wait, bounded, until the driver has let go
// of it. A SIGKILLed CUDA process is gone from the process table before the driver has torn down its
// contexts; for a while nvidia-smi still lists it and memory.used stays up (NVIDIA forum threads,
// pytorch/pytorch#37664), and a next run started then sees too little memory. So `clean` polls the
// light query (memory per GPU, compute processes; the fd tables of the ended pids) until every ended
// pid has left NVML and /dev/nvidia*, and each GPU's memory.used is back within a tolerance of its
// baseline, or until the bound (`clean --gpu-wait`). docs/clean.md, "GPU memory".
//
// The baseline of a GPU is its memory.used read right before the cleanup minus what nvidia-smi
// listed the ended pids as holding on it then. When any of theirs was unknown ([N/A], or a holder
// found only through /dev/nvidia*), the GPU has no baseline: only their leaving is waited for, and
// the memory is reported as read. Memory other processes take meanwhile counts against the baseline
// (the report says "above the baseline", not who).
import type { Host } from '../host/host.js';
import type { GpuWait, GpuWaitDevice } from '../model/cleanup-plan.js';
import type { GpuEvidence } from '../model/gpu.js';
import { nvidiaReading, type NvidiaReading } from '../probes/gpu.nvidia.js';

/** Memory within this much of the baseline counts as back (driver bookkeeping moves by a few MiB). */
export const GPU_WAIT_TOLERANCE_MIB = 64;
/** Between readings. Each reading runs nvidia-smi twice, which takes ~0.1-1 s itself. */
export const GPU_WAIT_INTERVAL_MS = 500;
/** The default bound of `clean --gpu-wait`. */
export const GPU_WAIT_DEFAULT_MS = 15_000;

export interface GpuWaitOptions {
  boundMs: number;
  intervalMs?: number;
  toleranceMiB?: number;
  progress?: (line: string) => void;
  now?: () => number;
}

/** The ended pids that held GPU memory before the cleanup: what the wait is for (none: no wait). */
export function gpuPidsToWaitFor(before: GpuEvidence, ended: number[]): number[] {
  if (before.vendor !== 'nvidia') return [];
  const e = new Set(ended);
  return [...new Set(before.processes.filter((p) => e.has(p.pid)).map((p) => p.pid))].sort((a, b) => a - b);
}

/** Each GPU's baseline (see the head of this file). */
export function gpuBaselines(before: GpuEvidence, pids: number[]): GpuWaitDevice[] {
  const mine = before.processes.filter((p) => pids.includes(p.pid));
  const single = before.devices.length === 1;
  return before.devices.map((d) => {
    // A holder with no GPU named (a /dev/nvidia* holder) may hold any of them; on one GPU, that one.
    const on = mine.filter((p) => (p.gpuUuid !== null ? p.gpuUuid === d.uuid : true) || single);
    const unknown = on.some((p) => p.usedMemoryMiB === null || (p.gpuUuid === null && !single));
    const targetsMiB = unknown ? null : on.reduce((n, p) => n + (p.usedMemoryMiB ?? 0), 0);
    const baselineMiB = targetsMiB === null || d.memoryUsedMiB === null ? null : Math.max(0, d.memoryUsedMiB - targetsMiB);
    return { index: d.index, uuid: d.uuid, beforeMiB: d.memoryUsedMiB, targetsMiB, baselineMiB, nowMiB: d.memoryUsedMiB };
  });
}

function settled(r: NvidiaReading, devices: GpuWaitDevice[], tolerance: number): boolean {
  if (r.heldBy.length > 0) return false;
  return devices.every((d) => d.baselineMiB === null || d.nowMiB === null || d.nowMiB <= d.baselineMiB + tolerance);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitForGpuRelease(host: Host, before: GpuEvidence, pids: number[], o: GpuWaitOptions): Promise<GpuWait> {
  const now = o.now ?? Date.now;
  const interval = o.intervalMs ?? GPU_WAIT_INTERVAL_MS;
  const tolerance = o.toleranceMiB ?? GPU_WAIT_TOLERANCE_MIB;
  const devices = gpuBaselines(before, pids);
  const start = now();
  const base = { boundMs: o.boundMs, toleranceMiB: tolerance, pids, devices };
  o.progress?.(`waiting up to ${o.boundMs / 1000} s for the GPU memory of ${pids.join(', ')} to be released (nvidia-smi every ${interval / 1000} s)`);
  let heldBy = pids;
  for (;;) {
    const r = await nvidiaReading(host, pids);
    const waitedMs = now() - start;
    if (r.status !== 'ok') return { ...base, outcome: 'unreadable', waitedMs, stillHeldBy: heldBy, reason: r.reason };
    heldBy = r.value.heldBy;
    for (const d of devices) d.nowMiB = r.value.devices.find((x) => (d.uuid !== null && x.uuid === d.uuid) || x.index === d.index)?.memoryUsedMiB ?? null;
    if (settled(r.value, devices, tolerance)) return { ...base, outcome: 'free', waitedMs, stillHeldBy: [], reason: null };
    if (waitedMs + interval > o.boundMs) return { ...base, outcome: 'still-held', waitedMs, stillHeldBy: heldBy, reason: null };
    await sleep(interval);
  }
}
