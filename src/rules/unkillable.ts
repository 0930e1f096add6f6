// unkillable: a process of a dead run that SIGKILL cannot end. In uninterruptible sleep (D) a
// process acts on signals only when the kernel call it sleeps in returns; a CUDA process stuck in
// the NVIDIA driver (a hung GPU, an Xid error, a driver teardown that does not finish) stays, with
// its GPU memory, whatever is sent to it (NVIDIA/open-gpu-kernel-modules issues, forum threads on
// "process in D state holding GPU memory"). SIGKILL already pending (SigPnd/ShdPnd bit 9) is the
// proof that a kill was tried and did not take. The fix is the driver's: a GPU reset, or a reboot.
import type { EvidenceItem } from '../model/diagnosis.js';
import { unkillableAdvice } from '../model/gpu.js';
import { sigkillPending } from '../model/snapshot.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type Rule } from './types.js';

export const unkillable: Rule = {
  meta: {
    id: 'unkillable',
    title: 'a dead run\'s process in uninterruptible sleep (D) that SIGKILL cannot end, holding the GPU',
    severity: 'error',
    requires: ['census', 'gpu'],
    stage: 'orphans',
    messages: { stuck: '{{procs}} of a dead run cannot be killed: in uninterruptible sleep (D) with SIGKILL pending, holding GPU memory' },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    if (input.gpu.status !== 'ok' || input.gpu.value.vendor !== 'nvidia') return [];
    const gpu = input.gpu.value;
    const held = new Map(gpu.processes.map((p) => [p.pid, p]));
    const src = sourcesFor(input.platform);
    const evidence: EvidenceItem[] = [];
    const pids: number[] = [];
    const ids = new Set<string>();
    for (const p of input.census.processes) {
      if (p.state !== 'D' || p.generation === null) continue;
      const run = input.census.generations.find((g) => g.id === p.generation);
      if (!run?.dead) continue;
      const gp = held.get(p.pid);
      // D without SIGKILL pending is left to gpu-memory-held (it may be a driver call that returns): docs/rules/unkillable.md.
      if (!gp || sigkillPending(p.sigPnd, p.shdPnd) !== true) continue;
      pids.push(p.pid);
      const id = gp.gpuUuid ?? (gpu.devices.length === 1 ? (gpu.devices[0]!.uuid ?? String(gpu.devices[0]!.index)) : 'N');
      ids.add(id);
      const inner = p.nsPids && p.nsPids.length > 1 ? ` (pid ${p.nsPids[p.nsPids.length - 1]} in its container)` : '';
      evidence.push({ source: src.process(p.pid), text: `pid ${p.pid}${inner} (${p.role ?? '?'}/${p.kind ?? '-'}, run ${p.generation}, ${run.status}) is in state D (uninterruptible sleep) with SIGKILL pending (SigPnd ${p.sigPnd ?? '?'}, ShdPnd ${p.shdPnd ?? '?'})` });
      evidence.push({ source: gp.source, text: `pid ${p.pid} holds ${gp.usedMemoryMiB === null ? 'an unknown amount of' : `${gp.usedMemoryMiB} MiB of`} GPU memory${gp.gpuUuid ? ` on ${gp.gpuUuid}` : ''} (${gp.source === 'nvidia-smi' ? 'listed by nvidia-smi' : 'holds /dev/nvidia* open'})` });
    }
    if (pids.length === 0) return [];
    const gpuId = ids.size === 1 ? [...ids][0]! : 'N';
    return [
      report(unkillable.meta, 'stuck', { procs: plural(pids.length, 'process', 'processes') }, {
        severity: 'error',
        pids: sortNum(pids),
        ports: [],
        evidence,
        fix: `Do not send more signals: SIGKILL is already pending and ${pids.length === 1 ? 'it acts' : 'they act'} on it only when the driver call returns. ${unkillableAdvice(gpuId, true).replace(/^the/, 'The')}.`,
        next: ['rerun-doctor explain unkillable', 'nvidia-smi --query-compute-apps=pid,used_memory,gpu_uuid --format=csv'],
        confidence: 'high',
      }),
    ];
  },
};
