// cpu-oversubscribed: N workers each running as many threads as there are usable cores (OpenMP,
// MKL, OpenBLAS, torch's intra-op pool, the tokenizer's), so N × cores threads share the cores.
// Judged per run (one program's workers: the fix is that program's thread caps). Usable cores:
// the worker's affinity (Cpus_allowed_list) within its cgroup's CPU quota, not nproc. The workers'
// own CPU time filling the cores makes it a warning; thread counts alone are a note (an idle pool
// costs nothing). Involuntary context switches are shown, never decisive: on a busy machine
// every process is preempted, whoever causes it.
import type { ClassifiedProcess } from '../model/census.js';
import { cpuListCount } from '../model/cpu.js';
import type { EvidenceItem, Finding } from '../model/diagnosis.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import type { DiagnosisInput, Rule } from './types.js';

export interface CpuOversubscribedOptions {
  /** Workers that each run at least as many threads as there are usable cores. */
  minWorkers: number;
  /** The workers' threads, as a multiple of the usable cores, that is oversubscribed. */
  factor: number;
  /** The workers' CPU use as a share of the usable cores that shows them competing. */
  busyShare: number;
}

/** The environment variables that cap a worker's threads (read from each worker's environment). */
export const THREAD_CAPS = ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'TORCH_NUM_THREADS'] as const;

export interface Oversubscription {
  /** The run (generation) judged; null for workers outside every run. */
  run: number | null;
  /** Live workers of the run whose thread count was read. */
  workers: ClassifiedProcess[];
  /** Those that each run at least as many threads as there are usable cores (and more than one). */
  wide: ClassifiedProcess[];
  usable: number;
  /** How the usable cores were told, for people. */
  usableWhy: string;
  totalThreads: number;
  /** Threads per worker so that workers × threads ≤ usable cores. */
  suggested: number;
  /** The workers' CPU use in cores, over the window or their lifetimes; null when not measurable. */
  busyCores: number | null;
  busyOver: 'the window' | 'their lifetimes';
  /** Per wide worker: involuntary switches per second of its main thread, when measurable (evidence only). */
  switchRates: Map<number, number>;
  contended: boolean;
  fires: boolean;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, ''));

function usableCores(input: DiagnosisInput, p: ClassifiedProcess): { cores: number; why: string } | null {
  const cpu = input.cpu.status === 'ok' ? input.cpu.value : null;
  const affinity = p.cpusAllowed ? cpuListCount(p.cpusAllowed) : null;
  const online = cpu?.online ? cpuListCount(cpu.online) : null;
  const cg = cpu?.cgroups.find((g) => g.pids.includes(p.pid)) ?? null;
  const base = affinity ?? online;
  if (base === null) return null;
  const parts = [affinity !== null ? `affinity ${p.cpusAllowed} (${plural(affinity, 'CPU')})` : `${plural(online!, 'CPU')} online (${cpu!.online})`];
  let cores = base;
  if (cg?.quota) {
    parts.push(`cgroup quota ${fmt(cg.quota.cores)} cores (${cg.quota.quotaUs}/${cg.quota.periodUs} µs, ${cg.quota.source})`);
    cores = Math.min(cores, cg.quota.cores);
  } else if (cg) parts.push(`no cgroup CPU quota on ${cg.cgroup}`);
  else parts.push(input.cpu.status === 'ok' ? 'cgroup quota not read for it' : `cgroup quota not known (${input.cpu.reason})`);
  return { cores, why: parts.join(', ') };
}

/** The same process in the census at the start of the window (same pid and start). */
function before(input: DiagnosisInput, p: ClassifiedProcess): ClassifiedProcess | null {
  return input.censusBefore?.processes.find((b) => b.pid === p.pid && b.startKey === p.startKey) ?? null;
}

/** Per second over the window when the process was in both censuses, else over its lifetime. */
function rate(input: DiagnosisInput, p: ClassifiedProcess, value: (x: ClassifiedProcess) => number | null | undefined): { perSecond: number; over: 'the window' | 'their lifetimes' } | null {
  const now = value(p);
  if (now == null) return null;
  const b = before(input, p);
  const was = b ? value(b) : null;
  if (b && was != null && input.windowSeconds && input.windowSeconds > 0) return { perSecond: Math.max(0, now - was) / input.windowSeconds, over: 'the window' };
  const age = (Date.parse(input.census.snapshot.takenAt) - Date.parse(p.startTime)) / 1000;
  return age >= 1 ? { perSecond: now / age, over: 'their lifetimes' } : null;
}

/** The live workers with a thread count, by run; a dead run's workers are the orphan rules' to report. */
function workersByRun(input: DiagnosisInput): Map<number | null, ClassifiedProcess[]> {
  const dead = new Set(input.census.generations.filter((g) => g.dead).map((g) => g.id));
  const out = new Map<number | null, ClassifiedProcess[]>();
  for (const p of input.census.processes) {
    if (p.role !== 'worker' || p.zombie || typeof p.threads !== 'number' || (p.generation !== null && dead.has(p.generation))) continue;
    const list = out.get(p.generation) ?? [];
    list.push(p);
    out.set(p.generation, list);
  }
  return out;
}

/** Pure: what the rule sees, per run. Also read by tokenizer-bottleneck, which names this cause of tokenize spikes. */
export function oversubscriptions(input: DiagnosisInput, options: CpuOversubscribedOptions): Oversubscription[] {
  if (input.platform !== 'linux') return [];
  return [...workersByRun(input)].map(([run, workers]) => judgeRun(input, options, run, workers)).filter((o): o is Oversubscription => o !== null);
}

function judgeRun(input: DiagnosisInput, options: CpuOversubscribedOptions, run: number | null, workers: ClassifiedProcess[]): Oversubscription | null {
  let usable = Infinity;
  let usableWhy = '';
  for (const w of workers) {
    const u = usableCores(input, w);
    if (u && u.cores < usable) {
      usable = u.cores;
      usableWhy = u.why;
    }
  }
  if (!Number.isFinite(usable) || usable <= 0) return null;
  const wide = workers.filter((w) => w.threads! >= Math.max(2, Math.ceil(usable)));
  const totalThreads = workers.reduce((a, w) => a + w.threads!, 0);
  const suggested = Math.max(1, Math.floor(usable / workers.length));
  const cpuRates = workers.map((w) => rate(input, w, (x) => x.cpuSeconds));
  const measured = cpuRates.filter((r): r is NonNullable<typeof r> => r !== null);
  const busyCores = measured.length > 0 ? measured.reduce((a, r) => a + r.perSecond, 0) : null;
  const busyOver = measured.some((r) => r.over === 'their lifetimes') ? 'their lifetimes' : 'the window';
  const switchRates = new Map<number, number>();
  for (const w of wide) {
    const r = rate(input, w, (x) => x.involuntarySwitches);
    if (r) switchRates.set(w.pid, r.perSecond);
  }
  const contended = busyCores !== null && busyCores >= options.busyShare * usable;
  const fires = wide.length >= options.minWorkers && totalThreads >= options.factor * usable;
  return { run, workers, wide, usable, usableWhy, totalThreads, suggested, busyCores, busyOver, switchRates, contended, fires };
}

function capsOf(p: ClassifiedProcess): string {
  if (p.env === undefined) return 'environment not readable';
  return THREAD_CAPS.map((k) => `${k}=${p.env![k] ?? '(unset)'}`).join(' ');
}

/** One line for the tokenizer rule: this cause, measured, beside tokenize spikes. */
export function oversubscriptionNote(o: Oversubscription): string {
  return `${o.workers.length} workers of run ${o.run ?? '?'} have ${o.totalThreads} threads on ${fmt(o.usable)} usable cores (cpu-oversubscribed${o.contended ? ', contention measured' : ''}): oversubscribed workers are one cause of tokenize spikes; ${o.suggested} thread${o.suggested === 1 ? '' : 's'} per worker would fit (docs/fixes/thread-caps.md)`;
}

export const cpuOversubscribed: Rule<CpuOversubscribedOptions> = {
  meta: {
    id: 'cpu-oversubscribed',
    title: 'workers each use every core: more threads than cores',
    severity: 'warning',
    requires: ['census'],
    stage: 'causes',
    messages: {
      contended: '{{workers}} of run {{run}} have {{threads}} threads on {{cores}} usable cores, and keep them busy',
      threads: '{{workers}} of run {{run}} have {{threads}} threads on {{cores}} usable cores (their CPU use does not show contention)',
    },
    defaultOptions: { minWorkers: 2, factor: 2, busyShare: 0.75 },
    schema: {
      type: 'object',
      properties: {
        minWorkers: { type: 'integer', minimum: 1, description: 'workers that each run at least as many threads as there are usable cores' },
        factor: { type: 'number', exclusiveMinimum: 0, description: "the workers' threads, as a multiple of the usable cores, that is oversubscribed" },
        busyShare: { type: 'number', exclusiveMinimum: 0, description: "the run's workers' CPU use as a share of the usable cores that shows them competing (a warning; else a note)" },
      },
      additionalProperties: false,
    },
    cannotJudge: (input) => {
      const workers = input.census.processes.filter((p) => p.role === 'worker' && !p.zombie);
      if (workers.length === 0) return null;
      if (input.platform === 'darwin') return { because: 'unavailable', reason: 'threads: not read on macOS (ps -M lists every thread of a process; one call per worker)' };
      if (workers.every((p) => p.threads === undefined)) return { because: 'unavailable', reason: 'threads: not in this document (collected by an older rerun-doctor)' };
      if (workers.every((p) => p.threads == null)) return { because: 'unavailable', reason: "threads: the workers' status was not readable" };
      if (workers.every((p) => typeof p.threads !== 'number' || (!p.cpusAllowed && !(input.cpu.status === 'ok' && input.cpu.value.online)))) return 'usable cores: neither the affinity nor the CPUs online were read';
      return null;
    },
  },
  check(input, options) {
    return oversubscriptions(input, options)
      .filter((o) => o.fires)
      .map((o) => finding(input, o));
  },
};

function finding(input: DiagnosisInput, o: Oversubscription): Finding {
  const src = sourcesFor(input.platform);
  const evidence: EvidenceItem[] = [];
  evidence.push({ source: '/proc/PID/status (Cpus_allowed_list); cgroup cpu.max', text: `usable cores: ${fmt(o.usable)} (${o.usableWhy})` });
  for (const w of o.wide) {
    const cpu = rate(input, w, (x) => x.cpuSeconds);
    const sw = o.switchRates.get(w.pid);
    const measured = [cpu ? `used ${cpu.perSecond.toFixed(2)} cores over ${cpu.over === 'the window' ? 'the window' : 'its lifetime'}` : null, sw !== undefined ? `${sw.toFixed(0)} involuntary context switches/s of its main thread` : null].filter((x) => x !== null);
    evidence.push({ source: `/proc/${w.pid}/status, /proc/${w.pid}/environ`, text: `worker ${w.pid} (run ${w.generation ?? '?'}): ${w.threads} threads; ${capsOf(w)}${measured.length ? `; ${measured.join(', ')}` : ''}` });
  }
  evidence.push({ source: src.processTable, text: `${plural(o.workers.length, 'live worker')} of run ${o.run ?? '?'} have ${o.totalThreads} threads in all: ${(o.totalThreads / o.usable).toFixed(1)}× the ${fmt(o.usable)} usable cores` });
  if (o.busyCores !== null) evidence.push({ source: src.cpuTime, text: `the workers used ${o.busyCores.toFixed(2)} of ${fmt(o.usable)} usable cores on average over ${o.busyOver}${o.contended ? '' : ': not enough to show contention'}` });
  const capped = o.wide.filter((w) => w.env !== undefined && THREAD_CAPS.some((k) => w.env![k] !== undefined && Number(w.env![k]) <= o.suggested));
  const tooMany = o.workers.length > o.usable;
  const fix =
    `Cap each worker at ${o.suggested} thread${o.suggested === 1 ? '' : 's'} (${fmt(o.usable)} usable cores / ${o.workers.length} workers): OMP_NUM_THREADS=${o.suggested} (and MKL_NUM_THREADS, OPENBLAS_NUM_THREADS) before torch or numpy is imported, torch.set_num_threads(${o.suggested}) in each worker, TOKENIZERS_PARALLELISM=false (docs/fixes/thread-caps.md).` +
    (capped.length > 0 ? ` ${capped.length === o.wide.length ? 'The caps are set' : 'Some workers have caps set'}: the threads come from elsewhere (a thread pool, the tokenizer, grpc).` : '') +
    (tooMany ? ` ${o.workers.length} single-threaded workers alone fill ${fmt(o.usable)} cores: run fewer workers.` : '');
  const data = { workers: plural(o.workers.length, 'worker'), run: o.run ?? '?', threads: o.totalThreads, cores: fmt(o.usable) };
  return report(cpuOversubscribed.meta, o.contended ? 'contended' : 'threads', data, {
    // Thread counts alone do not show a cost (an idle pool's threads sleep): a note until measured.
    severity: o.contended ? 'warning' : 'info',
    pids: sortNum(o.wide.map((w) => w.pid)),
    ports: [],
    evidence,
    fix,
    next: ['rerun-doctor explain cpu-oversubscribed', 'rerun-doctor procs'],
    confidence: o.contended ? 'high' : 'low',
  });
}
