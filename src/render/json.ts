// The JSON outputs: stable, documented contracts (docs/json.md), versioned by schemaVersion.
import type { CheckResult } from '../model/check.js';
import { PLAN_SCHEMA_VERSION, type CleanupPlan, type CleanupReport, type GpuWait, type ShmPlan, type ShmResult, type Unkillable } from '../model/cleanup-plan.js';
import { COUNT_SCHEMA_VERSION, type CountComparison, type CountSummary, type HistoryEntry } from '../model/count.js';
import type { Census, ClassifiedProcess, PortReport } from '../model/census.js';
import { DIAGNOSIS_SCHEMA_VERSION, type Diagnosis } from '../model/diagnosis.js';
import type { Evidence } from '../model/evidence.js';
import type { MetricSummary } from '../model/metrics-summary.js';
import type { Duplicates } from '../model/metrics.js';
import type { GrpcHealth } from '../model/grpc.js';

// 2: runs have status running | detached | orphaned with `current`, scope, cwd, tops and
// startedBy; processes carry `adopted`; roles include `launcher` (docs/json.md).
export const JSON_SCHEMA_VERSION = 2;

export function processJson(p: ClassifiedProcess) {
  return {
    pid: p.pid,
    ppid: p.ppid,
    pgid: p.pgid,
    sid: p.sid,
    uid: p.uid,
    user: p.user,
    role: p.role,
    kind: p.kind,
    roleReason: p.roleReason,
    adopted: p.adopted,
    adoptedReason: p.adoptedReason,
    orphan: p.orphan,
    orphanReason: p.orphanReason,
    generation: p.generation,
    state: p.state,
    zombie: p.zombie,
    argv: p.argv,
    comm: p.comm,
    exe: p.exe,
    cwd: p.cwd,
    startTime: p.startTime,
    rssBytes: p.rssBytes,
    cpuSeconds: p.cpuSeconds,
    tty: p.tty,
    ports: p.ports,
  };
}

function header(census: Census) {
  const s = census.snapshot;
  return { schemaVersion: JSON_SCHEMA_VERSION, takenAt: s.takenAt, hostname: s.hostname, platform: s.platform };
}

/** `--redact`: how many values the census lost to redaction; the key is absent without it. */
const redactedKey = (redactions: number | undefined) => (redactions === undefined ? {} : { redacted: { values: redactions } });

export function procsJson(census: Census, opts: { all: boolean; ports: number[]; serverPattern: string; redactions?: number }) {
  const list = census.processes.filter((p) => opts.all || p.role !== null);
  return {
    ...header(census),
    watch: { ports: opts.ports, serverPattern: opts.serverPattern },
    processes: list.map(processJson),
    generations: census.generations,
    issues: census.snapshot.issues,
    ...redactedKey(opts.redactions),
  };
}

export function portsJson(census: Census, reports: PortReport[], grpc: Map<number, GrpcHealth> = new Map(), redactions?: number) {
  return {
    ...header(census),
    ports: reports.map((r) => ({ ...r, grpc: grpc.get(r.port) ?? null })),
    issues: census.snapshot.issues.filter((i) => i.probe.startsWith('sockets.')),
    ...redactedKey(redactions),
  };
}

// ---- every other JSON output, each with its schemaVersion, built here (docs/json.md lists them) ----

/** The schema version of each command's JSON; bumped here, documented in docs/json.md. */
export const CHECK_SCHEMA_VERSION = 1;
/** `evidence --json`: 2 since it is the evidence document with its diagnosis. */
export const BUNDLE_SCHEMA_VERSION = 2;

export const SCHEMA_VERSIONS = {
  procs: JSON_SCHEMA_VERSION,
  ports: JSON_SCHEMA_VERSION,
  count: COUNT_SCHEMA_VERSION,
  diagnose: DIAGNOSIS_SCHEMA_VERSION,
  evidence: BUNDLE_SCHEMA_VERSION,
  check: CHECK_SCHEMA_VERSION,
  rerun: 1,
  clean: PLAN_SCHEMA_VERSION,
  metrics: 1,
} as const;

export function diagnosisJson(d: Diagnosis): Diagnosis {
  return d;
}

export function countHistoryJson(x: { root: string; file: string; entries: HistoryEntry[]; trend: unknown; badLines: number[]; skipped: Array<{ line: number; problem: string }> }) {
  return { schemaVersion: SCHEMA_VERSIONS.count, ...x };
}

export function countSavedJson(saved: string, summary: CountSummary) {
  return { schemaVersion: SCHEMA_VERSIONS.count, saved, summary };
}

export function countCompareJson(c: CountComparison): CountComparison {
  return c;
}

export function metricsFailureJson(x: { url: string; takenAt: string; kind: string; message: string; line: number | null; grpc: GrpcHealth | null }) {
  return { schemaVersion: SCHEMA_VERSIONS.metrics, url: x.url, takenAt: x.takenAt, ok: false, error: { kind: x.kind, message: x.message, line: x.line }, grpc: x.grpc };
}

export function metricsJson(x: {
  url: string;
  takenAt: string;
  format: string;
  redirects: string[];
  bytes: number;
  durationMs: number;
  grpc: GrpcHealth | null;
  key: unknown;
  metrics: MetricSummary[];
  series: { total: number; dropped: number; limit: number };
  duplicates: Duplicates | null;
}) {
  return {
    schemaVersion: SCHEMA_VERSIONS.metrics,
    url: x.url,
    takenAt: x.takenAt,
    ok: true,
    format: x.format,
    redirects: x.redirects,
    bytes: x.bytes,
    durationMs: Math.round(x.durationMs * 10) / 10,
    grpc: x.grpc,
    key: x.key,
    metrics: x.metrics,
    series: x.series,
    duplicates: x.duplicates,
  };
}

/** A check's result as JSON: everything but the evidence document (check --save writes that). */
export function checkResultJson(r: CheckResult): Omit<CheckResult, 'evidence'> {
  const { evidence: _evidence, ...rest } = r;
  return rest;
}

export function checkJson(command: string[], r: CheckResult) {
  return { schemaVersion: SCHEMA_VERSIONS.check, command, ...checkResultJson(r) };
}

export function rerunJson(x: { command: string[]; runs: CheckResult[]; leftBehindInAll: number[]; leaked: boolean; slower: boolean; error: string | null }) {
  return { schemaVersion: SCHEMA_VERSIONS.rerun, command: x.command, runs: x.runs.map(checkResultJson), leftBehindInAll: x.leftBehindInAll, leaked: x.leaked, slower: x.slower, error: x.error };
}

/**
 * `clean --json` (docs/clean.md). `shm`: the shared-memory plan (null where /dev/shm is not read:
 * macOS); `shmReport`: what `--shm` did to each target, null when it unlinked nothing.
 */
export function cleanJson(x: { plan: CleanupPlan; shm: ShmPlan | null; report: CleanupReport | null; shmResults?: ShmResult[] | null; ports?: Array<{ port: number; free: boolean; heldByTargets: number[]; heldByOthers: number[] }>; gpuStillHeldBy?: number[] | null; gpuWait?: GpuWait | null; unkillable?: Unkillable[] }) {
  const shmReport = x.shmResults ? { results: x.shmResults } : null;
  return x.report === null
    ? { schemaVersion: SCHEMA_VERSIONS.clean, plan: x.plan, shm: x.shm, report: null, shmReport }
    : { schemaVersion: SCHEMA_VERSIONS.clean, plan: x.plan, shm: x.shm, report: x.report, shmReport, ports: x.ports ?? [], gpuStillHeldBy: x.gpuStillHeldBy ?? null, gpuWait: x.gpuWait ?? null, unkillable: x.unkillable ?? [] };
}

export function bundleJson(b: { diagnosis: Diagnosis; evidence: Evidence }) {
  return { schemaVersion: SCHEMA_VERSIONS.evidence, kind: 'rerun-doctor-bundle', diagnosis: b.diagnosis, evidence: b.evidence };
}
