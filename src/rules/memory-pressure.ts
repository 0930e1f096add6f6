// memory-pressure: the machine is short of memory (the kernel says so), naming what leftover
// processes of earlier runs still hold. A cause of slow reruns that is not in the code: a rerun
// that loads its model next to the last run's orphans pages, swaps or is compressed.
import type { EvidenceItem } from '../model/diagnosis.js';
import { pressureLevelName, type MemoryEvidence } from '../model/memory.js';
import { bytesText } from '../model/text.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import type { DiagnosisInput, Rule } from './types.js';

export interface MemoryPressureOptions {
  /** macOS kern.memorystatus_vm_pressure_level that counts (2 warn, 4 critical). */
  pressureLevel: number;
  /** Linux /proc/pressure/memory `some avg10` (percent) that counts. */
  psiSomeAvg10: number;
  /** Linux without PSI: MemAvailable below this share of MemTotal (percent) counts. */
  availablePercent: number;
}

const MiB = 2 ** 20;
/** Leftovers named one by one; the rest are counted. */
const NAMED = 10;

const size = bytesText;

/** The platform's direct reading, or why there is none. */
function signal(m: MemoryEvidence, o: MemoryPressureOptions): { short: boolean; text: string; source: string } | string {
  if (m.platform === 'darwin') {
    if (m.pressureLevel === null) return 'memory: the pressure level (kern.memorystatus_vm_pressure_level) could not be read';
    return { short: m.pressureLevel >= o.pressureLevel, text: `memory pressure level ${m.pressureLevel} (${pressureLevelName(m.pressureLevel)}; 1 normal, 2 warn, 4 critical)`, source: 'sysctl kern.memorystatus_vm_pressure_level' };
  }
  if (m.psiSomeAvg10 !== null) {
    return { short: m.psiSomeAvg10 >= o.psiSomeAvg10, text: `tasks stalled on memory ${m.psiSomeAvg10.toFixed(1)} % of the last 10 s (some avg10${m.psiFullAvg10 !== null ? `; all tasks ${m.psiFullAvg10.toFixed(1)} %` : ''})`, source: '/proc/pressure/memory' };
  }
  if (m.availableBytes !== null && m.totalBytes !== null && m.totalBytes > 0) {
    const pct = (m.availableBytes / m.totalBytes) * 100;
    return { short: pct < o.availablePercent, text: `${size(m.availableBytes)} of ${size(m.totalBytes)} available (${pct.toFixed(1)} %; no pressure stall figure on this kernel)`, source: '/proc/meminfo MemAvailable' };
  }
  return 'memory: neither a pressure stall figure nor MemAvailable could be read';
}

/** Processes of the project's dead runs (orphaned, or detached beside a newer run), and those check/rerun left. */
function leftovers(input: DiagnosisInput): number[] {
  const runs = new Map(input.census.generations.map((g) => [g.id, g]));
  const own = new Set(input.ownLeftovers);
  return input.census.processes
    .filter((p) => {
      if (own.has(p.pid)) return true;
      const run = p.generation !== null ? runs.get(p.generation) : undefined;
      return !p.zombie && run !== undefined && run.scope === 'project' && (run.status === 'orphaned' || (run.status === 'detached' && run.shadowed));
    })
    .map((p) => p.pid);
}

export const memoryPressure: Rule<MemoryPressureOptions> = {
  meta: {
    id: 'memory-pressure',
    title: 'the machine is short of memory (leftovers of earlier runs named)',
    severity: 'warning',
    requires: ['census', 'memory'],
    stage: 'causes',
    messages: {
      heldByLeftovers: 'the machine is short of memory, and {{leftovers}} of earlier runs hold {{held}}',
      short: 'the machine is short of memory ({{signal}})',
    },
    defaultOptions: { pressureLevel: 2, psiSomeAvg10: 10, availablePercent: 5 },
    schema: {
      type: 'object',
      properties: {
        pressureLevel: { type: 'integer', minimum: 1, maximum: 4, description: 'macOS memory pressure level (kern.memorystatus_vm_pressure_level: 1 normal, 2 warn, 4 critical) that counts' },
        psiSomeAvg10: { type: 'number', minimum: 0, maximum: 100, description: 'Linux: share of the last 10 s some task stalled on memory (/proc/pressure/memory some avg10, percent) that counts' },
        availablePercent: { type: 'number', minimum: 0, maximum: 100, description: 'Linux without PSI: MemAvailable below this share of MemTotal (percent) counts' },
      },
      additionalProperties: false,
    },
    cannotJudge: (input) => {
      if (input.memory.status !== 'ok') return null;
      const s = signal(input.memory.value, memoryPressure.meta.defaultOptions);
      return typeof s === 'string' ? s : null;
    },
  },
  check(input, options) {
    if (input.memory.status !== 'ok') return [];
    const m = input.memory.value;
    const s = signal(m, options);
    if (typeof s === 'string' || !s.short) return [];
    const evidence: EvidenceItem[] = [{ source: s.source, text: s.text }];
    if (m.swapUsedBytes !== null && m.swapUsedBytes > 0) {
      evidence.push({ source: m.platform === 'darwin' ? 'sysctl vm.swapusage' : '/proc/meminfo SwapTotal, SwapFree', text: `swap: ${size(m.swapUsedBytes)} in use${m.swapTotalBytes !== null ? ` of ${size(m.swapTotalBytes)}` : ''}` });
    }
    // What each leftover costs: its physical footprint where footprint read it (macOS, Metal/MPS
    // memory included), else its RSS.
    const footprints = new Map<number, number>();
    if (input.gpu.status === 'ok') for (const gp of input.gpu.value.processes) if (gp.footprintMiB !== undefined) footprints.set(gp.pid, gp.footprintMiB * MiB);
    const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
    const src = sourcesFor(input.platform);
    const held = leftovers(input)
      .map((pid) => {
        const fp = footprints.get(pid);
        const rss = byPid.get(pid)?.rssBytes ?? null;
        return { pid, bytes: fp ?? rss, how: fp !== undefined ? 'physical footprint' : 'RSS', source: fp !== undefined ? `footprint ${pid}` : src.process(pid) };
      })
      .sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1) || a.pid - b.pid);
    const total = held.reduce((sum, h) => sum + (h.bytes ?? 0), 0);
    for (const h of held.slice(0, NAMED)) {
      const p = byPid.get(h.pid);
      evidence.push({ source: h.source, text: `pid ${h.pid} (${p?.role ?? '?'}/${p?.kind ?? '-'}, run ${p?.generation ?? '?'}, left by an earlier run) holds ${h.bytes === null ? 'an unknown amount' : size(h.bytes)} (${h.how}): ${(p?.argv.join(' ') || p?.comm || '').slice(0, 100)}` });
    }
    if (held.length > NAMED) evidence.push({ source: src.processTable, text: `and ${held.length - NAMED} more leftover processes (${size(total)} in all)` });
    const pids = sortNum(held.map((h) => h.pid));
    const body = {
      severity: 'warning' as const,
      pids,
      ports: [],
      evidence,
      next: ['rerun-doctor explain memory-pressure', ...(held.length > 0 ? ['rerun-doctor clean'] : [])],
      confidence: 'high' as const,
    };
    if (held.length > 0) {
      return [report(memoryPressure.meta, 'heldByLeftovers', { leftovers: plural(held.length, 'leftover process', 'leftover processes'), held: size(total) }, { ...body, fix: `End the leftovers of earlier runs (\`rerun-doctor clean\`): they hold ${size(total)} the rerun has to page, swap or compress around. In the server, make workers exit with their parent, so a killed run leaves nothing.` })];
    }
    return [report(memoryPressure.meta, 'short', { signal: s.text.split(' (')[0]! }, { ...body, fix: 'No leftover of an earlier run holds memory here: other programs do, or the server itself needs more than there is. Close what you do not need, or lower the model size, batch size or worker count; compare a rerun once pressure is back to normal.' })];
  },
};
