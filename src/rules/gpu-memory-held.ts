// gpu-memory-held: GPU memory held by orphans, or still in use after the server stopped.
import type { EvidenceItem } from '../model/diagnosis.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import type { Rule } from './types.js';

export interface GpuMemoryOptions {
  /** Growth in used memory (MiB) after a stop that counts as held. */
  elevatedMiB: number;
}

/** "pid 48213, pid 7 in its container" when the /proc read is an outer namespace's; else "pid 48213". */
export function pidText(pid: number, nsPids: number[] | null | undefined): string {
  return nsPids && nsPids.length > 1 && nsPids[0] === pid ? `pid ${pid}, pid ${nsPids[nsPids.length - 1]} in its container` : `pid ${pid}`;
}

export const gpuMemoryHeld: Rule<GpuMemoryOptions> = {
  meta: {
    id: 'gpu-memory-held',
    title: 'GPU memory held by orphans or after the server stopped',
    severity: 'error',
    requires: ['census', 'gpu'],
    stage: 'orphans',
    messages: {
      heldByOrphans: '{{orphans}} hold GPU memory',
      stillInUse: 'GPU memory stays in use after the server stopped',
    },
    defaultOptions: { elevatedMiB: 256 },
    schema: { type: 'object', properties: { elevatedMiB: { type: 'number', minimum: 0, description: 'growth in used GPU memory (MiB) from before a check to after its stop that counts as held' } }, additionalProperties: false },
  },
  check(input, options) {
    if (input.gpu.status !== 'ok') return [];
    const gpu = input.gpu.value;
    const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
    const evidence: EvidenceItem[] = [];
    const pids: number[] = [];
    for (const gp of gpu.processes) {
      const p = byPid.get(gp.pid);
      // Held by a run of the project that is dead and not running on purpose (orphaned, or detached beside a newer run).
      const run = p?.generation != null ? input.census.generations.find((g) => g.id === p.generation) : undefined;
      if (run && run.scope === 'project' && (run.status === 'orphaned' || (run.status === 'detached' && run.shadowed))) {
        pids.push(gp.pid);
        evidence.push({ source: gp.source, text: `${pidText(gp.pid, p?.nsPids)} (${p?.role ?? '?'}/${p?.kind ?? '-'}, run ${p?.generation ?? '?'}, orphan) holds ${gp.usedMemoryMiB === null ? 'an unknown amount of' : `${gp.usedMemoryMiB} MiB of`} GPU memory${gp.gpuUuid ? ` on ${gp.gpuUuid}` : ''}` });
        // In D it may not go with a signal: unkillable judges it when SIGKILL is pending.
        if (p?.state === 'D') evidence.push({ source: gp.source, text: `pid ${gp.pid} is in uninterruptible sleep (D) now, inside a kernel or driver call: if it stays so after SIGKILL, see rerun-doctor explain unkillable` });
      }
    }
    // Listed under pids this /proc does not have (the host's, seen from a container): said, never matched by number.
    const unseen = gpu.unseenProcesses ?? [];
    if (unseen.length > 0 && evidence.length > 0) {
      evidence.push({ source: 'nvidia-smi --query-compute-apps', text: `nvidia-smi also lists ${unseen.map((u) => `pid ${u.pid}${u.usedMemoryMiB === null ? '' : ` (${u.usedMemoryMiB} MiB)`}`).join(', ')}, not in this /proc (another PID namespace, likely the host's): not attributed; the holders above were found through /dev/nvidia*` });
    }
    const before = input.gpuBefore;
    if (before) {
      for (const d of gpu.devices) {
        const b = before.devices.find((x) => x.index === d.index);
        // Apple devices' memoryUsedMiB is their share of the system figure compared below; only NVIDIA's is the device's own memory.
        if (gpu.vendor === 'nvidia' && b?.memoryUsedMiB != null && d.memoryUsedMiB != null && d.memoryUsedMiB - b.memoryUsedMiB >= options.elevatedMiB) {
          evidence.push({ source: 'nvidia-smi --query-gpu=memory.used', text: `GPU ${d.index}: ${b.memoryUsedMiB} MiB used before the run, ${d.memoryUsedMiB} MiB after it stopped` });
        }
        // A discrete GPU in an Intel Mac: its VRAM, apart from the system memory (never added to it).
        if (b?.vramUsedMiB != null && d.vramUsedMiB != null && d.vramUsedMiB - b.vramUsedMiB >= options.elevatedMiB) {
          evidence.push({ source: 'ioreg IOAccelerator "vramUsedBytes"', text: `GPU ${d.index} (${d.name ?? '?'}): ${b.vramUsedMiB.toFixed(0)} MiB of its VRAM used before the run, ${d.vramUsedMiB.toFixed(0)} MiB after it stopped` });
        }
      }
      if (gpu.inUseSystemMemoryBytes != null && before.inUseSystemMemoryBytes != null && gpu.inUseSystemMemoryBytes - before.inUseSystemMemoryBytes >= options.elevatedMiB * 1024 * 1024) {
        evidence.push({ source: 'ioreg IOAccelerator "In use system memory"', text: `GPU memory in use went from ${(before.inUseSystemMemoryBytes / 2 ** 20).toFixed(0)} MiB before the run to ${(gpu.inUseSystemMemoryBytes / 2 ** 20).toFixed(0)} MiB after it stopped` });
      }
    }
    if (evidence.length === 0) return [];
    return [
      report(gpuMemoryHeld.meta, pids.length > 0 ? 'heldByOrphans' : 'stillInUse', pids.length > 0 ? { orphans: plural(pids.length, 'orphaned process', 'orphaned processes') } : {}, {
        severity: 'error',
        pids: sortNum(pids),
        ports: [],
        evidence,
        fix: 'End the orphans holding the GPU (the next run loads its model into what is left, or falls back to slower paths). In the server, make workers exit with their parent; on Apple MPS call torch.mps.empty_cache() on shutdown.',
        next: ['rerun-doctor explain gpu-memory-held'],
        confidence: 'high',
      }),
    ];
  },
};
