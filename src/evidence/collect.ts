// The one evidence pipeline: every command that judges the machine collects an Evidence document
// here (the census at the start and the end of a window, metrics samples over it, GPU and thermal
// state, the count history), then diagnoses that document. The only I/O of a diagnosis.
//
// A session is what `diagnose` runs in one go (collectEvidence) and what `check` spreads over a run
// it starts and stops: begin before, sample the metrics while it serves, finish after.
import { censusSnapshot, snapshotFailure } from '../census/census.js';
import { classify, type ClassifyOptions } from '../census/classify.js';
import { censusSettingsOf } from '../census/settings.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { HistoryEntry } from '../model/count.js';
import { UsageError } from '../model/errors.js';
import { EVIDENCE_KIND, EVIDENCE_SCHEMA_VERSION, type EnvironmentInfo, type Evidence, type MetricsWindow, type ThermalWindow } from '../model/evidence.js';
import type { GpuEvidence } from '../model/gpu.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { ShmEvidence } from '../model/shm.js';
import type { Snapshot, SnapshotIssue } from '../model/snapshot.js';
import type { ThermalEvidence } from '../model/thermal.js';
import { collectCpu } from '../probes/cpu.js';
import { collectGpu } from '../probes/gpu.js';
import { collectMemory } from '../probes/memory.js';
import { readForkParentLibraries } from '../probes/libraries.js';
import { collectMultiprocDirs } from '../probes/multiproc.js';
import type { ScrapeOptions } from '../probes/metrics.http.js';
import { collectShm } from '../probes/shm.js';
import { collectSocketFiles } from '../probes/socket-files.js';
import { collectThermal } from '../probes/thermal.js';
import { historyEntryProblem } from '../state/records.js';
import { readNdjson, skippedNote, StateError, type Skipped } from '../state/store.js';
import { version } from '../version.js';
import type { MetricsSample } from '../model/metrics-sample.js';
import { duplicatesText } from '../model/metrics.js';
import { createMetricsSampler, type MetricsSampler } from '../watch/metrics-sampler.js';
import type { KeyMetricName } from '../config/config.js';
import { environmentInfo } from './environment.js';
import { monotonicMs } from '../host/clock.js';

export interface MetricsPlan {
  url: string;
  /** Samples over the window (collectEvidence); a session takes them when told. */
  samples: number;
  intervalMs: number;
  scrape: ScrapeOptions;
  keyMetrics: Partial<Record<KeyMetricName, string[]>>;
}

export interface EvidencePlan {
  census: ClassifyOptions;
  instances: number | null;
  /** null: not sampled, for `metricsOff`'s reason. */
  metrics: MetricsPlan | null;
  /** Why metrics are not sampled, when `metrics` is null (`not sampled (--no-metrics)`). */
  metricsOff?: string;
  /** The project's count history file; null when none is kept. */
  historyFile: string | null;
  /** Read GPU and thermal state (default true). */
  gpu?: boolean;
  thermal?: boolean;
  /** Read memory pressure and swap (default true). */
  memory?: boolean;
  /** Read /dev/shm (default true). */
  shm?: boolean;
  /** Ask the versions a bug report needs (the server's Python, the driver). */
  environment?: boolean;
  progress?: (line: string) => void;
  /** Told once per collection what was skipped as invalid in a file read (the count history's lines). */
  warn?: (line: string) => void;
  /** Told how long each probe took, in ms (`census` once per census; the exporter's probe durations). */
  onProbe?: (probe: 'census' | 'gpu' | 'thermal' | 'memory' | 'shm' | 'cpu' | 'multiproc' | 'history' | 'socketFiles', ms: number) => void;
}

export interface FinishOptions {
  /**
   * Take a new census at the end (default: only when metrics were sampled over a window; otherwise
   * the first census is the one judged). `check` always does: the run it judges has ended.
   */
  fresh?: boolean;
  /** Whether the first census starts a window (CPU over it). Default true; `check`'s is from before its run. */
  window?: boolean;
  /** Read every process in full (check: a leftover need not look like a server to be one). */
  enrichAll?: boolean;
  /** check/rerun: the processes the run they stopped left behind, from the final census. */
  leftovers?: (census: Census) => number[];
  /** The pids whose GPU use is looked up (default: every process with a role, at the start and the end). */
  gpuPids?: (census: Census) => number[];
}

export interface EvidenceSession {
  /** The census at the start, thermal state, and GPU state when `gpuBefore`. Throws a UsageError when processes cannot be listed. */
  begin(o?: { gpuBefore?: boolean }): Promise<Census>;
  /** One metrics sample (interval values from the second on); null when metrics are not sampled. */
  sampleMetrics(): Promise<MetricsSample | null>;
  finish(o?: FinishOptions): Promise<{ evidence: Evidence; census: Census }>;
}

const rolePids = (c: Census) => c.processes.filter((p) => p.role !== null).map((p) => p.pid);
const liveRolePids = (c: Census) => c.processes.filter((p) => p.role !== null && !p.zombie).map((p) => p.pid);

/** A scrape that nothing answered (connection refused) is evidence missing; any other failure is evidence broken. */
function metricsOutcome(plan: EvidencePlan, samples: MetricsSample[], head: string | null): Outcome<MetricsWindow> {
  if (plan.metrics === null) return unavailable(plan.metricsOff ?? 'not sampled', 'GET /metrics');
  const url = plan.metrics.url;
  const good = samples.filter((s) => s.ok);
  const bad = samples.filter((s): s is Extract<MetricsSample, { ok: false }> => !s.ok);
  if (good.length === 0) {
    const last = bad[bad.length - 1];
    const reason = `${url} could not be read${last ? ` (${last.kind}: ${last.message})` : ''}`;
    return last === undefined || last.kind === 'refused' ? unavailable(reason, `GET ${url}`) : failed(reason, `GET ${url}`);
  }
  const issues: SnapshotIssue[] = bad.map((s) => ({ probe: 'metrics', kind: 'failed', message: `scrape at ${s.t}: ${s.kind}: ${s.message}` }));
  // What the samples left out, said once each: duplicate samples (dropped as Prometheus drops
  // them) and series over the limit per scrape.
  const dup = good.find((s): s is Extract<MetricsSample, { ok: true }> => s.ok && s.duplicates !== undefined);
  if (dup?.ok && dup.duplicates) issues.push({ probe: 'metrics', kind: 'parse', message: `scrape at ${dup.t}: ${duplicatesText(dup.duplicates)}` });
  const limit = plan.metrics.scrape.maxSeries;
  const cut = limit === undefined ? undefined : good.find((s): s is Extract<MetricsSample, { ok: true }> => s.ok && (s.seriesTotal ?? 0) > limit);
  if (cut?.ok && limit !== undefined) {
    issues.push({ probe: 'metrics', kind: 'parse', message: `scrape at ${cut.t}: ${cut.seriesTotal} series, ${cut.seriesTotal! - limit} over the limit of ${limit} per scrape dropped (the key metrics are kept; thresholds.metrics-max-series)` });
  }
  return ok({ url, samples, head }, `GET ${url}`, issues);
}

function historyOutcome(file: string | null, warn?: (line: string) => void): Outcome<HistoryEntry[]> {
  if (file === null) return unavailable('no count history is kept here', 'count history');
  let read: { entries: HistoryEntry[]; skipped: Skipped[] };
  try {
    read = readNdjson<HistoryEntry>(file, historyEntryProblem);
  } catch (e) {
    if (e instanceof StateError) return failed(e.message, file);
    throw e;
  }
  // Invalid lines are skipped (each checked field by field), never the whole history: said once.
  const note = skippedNote(file, read.skipped);
  if (note) warn?.(note);
  if (read.entries.length === 0) return unavailable(note ? `no valid count history: ${note}` : `no count history for this project (${file}); rerun-doctor count before/after keeps one`, file);
  const issues: SnapshotIssue[] = note ? [{ probe: 'history', kind: 'parse', message: note }] : [];
  return ok(read.entries, file, issues);
}

export function evidenceSession(host: Host, plan: EvidencePlan): EvidenceSession {
  const collectedAt = host.now().toISOString();
  const sampler: MetricsSampler | null = plan.metrics ? createMetricsSampler(host, plan.metrics.url, plan.metrics.scrape, plan.metrics.keyMetrics) : null;
  const samples: MetricsSample[] = [];
  let first: { snapshot: Snapshot; census: Census; at: number } | null = null;
  let thermalFirst: Outcome<ThermalEvidence> | null = null;
  let gpuBefore: GpuEvidence | null = null;

  const timed = async <T>(probe: Parameters<NonNullable<EvidencePlan['onProbe']>>[0], f: () => Promise<T> | T): Promise<T> => {
    if (!plan.onProbe) return f();
    const t0 = monotonicMs();
    try {
      return await f();
    } finally {
      plan.onProbe(probe, monotonicMs() - t0);
    }
  };
  const take = (enrichAll = false) => timed('census', () => takeOnce(enrichAll));
  const takeOnce = async (enrichAll: boolean) => {
    const snapshot = await censusSnapshot(host, plan.census, { enrichAll });
    const failure = snapshotFailure(snapshot);
    if (failure) throw new UsageError(failure);
    const census = classify(snapshot, plan.census);
    return { snapshot, census, at: host.now().getTime() };
  };

  return {
    async begin(o = {}) {
      first = await take();
      if (plan.thermal !== false) thermalFirst = await collectThermal(host);
      if (o.gpuBefore && plan.gpu !== false) {
        const g = await collectGpu(host, {});
        gpuBefore = g.status === 'ok' ? g.value : null;
      }
      return first.census;
    },
    async sampleMetrics() {
      if (!sampler) return null;
      const s = await sampler.sample();
      samples.push(s);
      return s;
    },
    async finish(o = {}) {
      if (!first) throw new Error('evidence session: finish() before begin()');
      const start = first;
      const windowed = o.window !== false && samples.length > 1;
      const fresh = o.fresh ?? windowed;
      const end = fresh ? await take(o.enrichAll) : start;
      // What a server that forks its workers has loaded (fork-unsafe): told only once the census
      // knows its fork workers, and read once, for the census the document keeps.
      readForkParentLibraries(host, end.snapshot, end.census);
      const gpuPids = o.gpuPids ? o.gpuPids(end.census) : [...new Set([...rolePids(end.census), ...rolePids(start.census)])];
      const gpu: Outcome<GpuEvidence> = plan.gpu === false ? unavailable('not read', 'GPU') : await timed('gpu', () => collectGpu(host, { pids: gpuPids }));
      let thermal: Outcome<ThermalWindow> = unavailable('not read', 'thermal');
      if (plan.thermal !== false) {
        const gpuThermal = gpu.status === 'ok' ? gpu.value.devices.filter((d) => d.activeEventReasons.some((r) => /thermal/i.test(r))).map((d) => ({ index: d.index, reasons: d.activeEventReasons.filter((r) => /thermal/i.test(r)) })) : [];
        const last = await timed('thermal', () => collectThermal(host, { gpuThermal }));
        // The end of the window decides (it carries the GPU's thermal slowdown too); the start, when
        // readable, is what counters are compared against.
        thermal = last.status === 'ok' ? ok({ first: thermalFirst?.status === 'ok' ? thermalFirst.value : last.value, last: last.value }, last.source, last.issues) : last;
      }
      const memory = plan.memory === false ? unavailable<never>('not read', 'memory') : await timed('memory', () => collectMemory(host));
      const shm = plan.shm === false ? unavailable<ShmEvidence>('not read', 'shared memory') : await timed('shm', () => collectShm(host));
      const environment: EnvironmentInfo | null = plan.environment ? await environmentInfo(host, end.census, gpu) : null;
      const cpu = await timed('cpu', () => collectCpu(host, liveRolePids(end.census)));
      const multiproc = await timed('multiproc', () => collectMultiprocDirs(host, end.census));
      const history = await timed('history', () => historyOutcome(plan.historyFile, plan.warn));
      const socketFiles = await timed('socketFiles', () => collectSocketFiles(host, end.census, { listening: new Set((end.snapshot.unixSockets ?? []).map((u) => u.path)) }));
      const evidence: Evidence = {
        schemaVersion: EVIDENCE_SCHEMA_VERSION,
        kind: EVIDENCE_KIND,
        tool: `rerun-doctor ${version()}`,
        collectedAt,
        settings: { census: censusSettingsOf(plan.census), instances: plan.instances },
        snapshot: end.snapshot,
        window: windowed && end !== start ? { before: start.snapshot, seconds: (end.at - start.at) / 1000 } : null,
        metrics: metricsOutcome(plan, samples, sampler?.lastHead() ?? null),
        gpu,
        gpuBefore,
        thermal,
        memory,
        shm,
        history,
        ownLeftovers: o.leftovers ? o.leftovers(end.census) : null,
        environment,
        redacted: null,
        cpu,
        multiproc,
        socketFiles,
      };
      return { evidence, census: end.census };
    },
  };
}

/** The diagnosis window: the census, `samples` metrics samples `intervalMs` apart, the census again, GPU, thermal, history. */
export async function collectEvidence(host: Host, plan: EvidencePlan): Promise<Evidence> {
  const s = evidenceSession(host, plan);
  await s.begin();
  const n = plan.metrics?.samples ?? 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) await host.sleep(plan.metrics!.intervalMs);
    plan.progress?.(`sampling metrics ${i + 1}/${n}…`);
    await s.sampleMetrics();
  }
  return (await s.finish()).evidence;
}

/**
 * A document with the census only (the demo's: it reads no metrics, GPU or thermal state, and says
 * so, each as unavailable with `why`).
 */
export function censusEvidence(snapshot: Snapshot, census: ClassifyOptions, instances: number | null, why: string): Evidence {
  const none = <T>(what: string): Outcome<T> => unavailable(`${what} ${why}`, 'demo');
  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    kind: EVIDENCE_KIND,
    tool: `rerun-doctor ${version()}`,
    collectedAt: snapshot.takenAt,
    settings: { census: censusSettingsOf(census), instances },
    snapshot,
    window: null,
    metrics: none('not sampled'),
    gpu: none('not read'),
    gpuBefore: null,
    thermal: none('not read'),
    memory: none('not read'),
    shm: none('not read'),
    history: none('no count history kept'),
    ownLeftovers: null,
    environment: null,
    redacted: null,
    cpu: none('not read'),
    multiproc: none('not read'),
    socketFiles: none('not read'),
  };
}
