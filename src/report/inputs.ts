// What a report is made from, told apart by content (never by the file's name): a saved evidence
// document (`diagnose --save`, `check --save`, `evidence --json`, the Markdown bundle), a
// diagnosis (`diagnose --json`), a `rerun --json`, `rerun --record` or `check --json` result,
// a `watch procs` / `watch metrics` recording (`--record` NDJSON, or `--json` lines), and the
// count history (`history.ndjson` of the state directory, or `count history --json`). Pure: the
// caller reads the file; a text that is none of them is one UsageError naming it.
import { UsageError } from '../model/errors.js';
import type { CheckResult } from '../model/check.js';
import type { HistoryEntry } from '../model/count.js';
import type { Diagnosis } from '../model/diagnosis.js';
import { EMBED_MARKER, EVIDENCE_KIND, type Evidence } from '../model/evidence.js';
import type { MetricsSample } from '../model/metrics-sample.js';
import type { ProcSampleResult } from '../model/proc-sample.js';
import type { Role } from '../model/census.js';
import { checkEvidence, parseEvidence } from '../evidence/replay.js';

/** A process of a `watch procs` record (docs/watch.md). */
export interface RecordedProcess {
  pid: number;
  ppid: number;
  pgid: number;
  role: Role;
  kind: string | null;
  orphan: boolean;
  zombie: boolean;
  generation: number | null;
  startTime: string;
  cpuSeconds: number | null;
  rssBytes: number | null;
  argv: string[];
}

export type ProcRecord = ProcSampleResult & { processes?: RecordedProcess[] };

/** One run of a rerun (or the one run of a check): check's JSON without the evidence document. */
export type RunRecord = Omit<CheckResult, 'evidence'>;

export type ReportInput =
  | { kind: 'evidence'; name: string; evidence: Evidence; diagnosis: Diagnosis | null }
  | { kind: 'diagnosis'; name: string; diagnosis: Diagnosis }
  | { kind: 'rerun'; name: string; command: string[]; runs: RunRecord[]; error: string | null }
  | { kind: 'watch-procs'; name: string; intervalMs: number | null; samples: ProcRecord[] }
  | { kind: 'watch-metrics'; name: string; url: string | null; samples: MetricsSample[] }
  | { kind: 'count-history'; name: string; entries: HistoryEntry[] };

export type InputKind = ReportInput['kind'];

/** What each kind is, in words (the report's list of inputs, the errors). */
export const KIND_TITLES: Record<InputKind, string> = {
  evidence: 'evidence document',
  diagnosis: 'diagnosis (diagnose --json)',
  rerun: 'rerun result',
  'watch-procs': 'watch procs recording',
  'watch-metrics': 'watch metrics recording',
  'count-history': 'count history',
};

const EXPECTED =
  'expected an evidence document (diagnose --save, evidence --json, an evidence bundle), diagnose --json, rerun --json or --record, check --json, a watch --record file, or the count history (history.ndjson, count history --json)';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isDiagnosis = (v: unknown): v is Diagnosis => isObject(v) && typeof v.verdict === 'string' && Array.isArray(v.findings) && Array.isArray(v.skipped) && Array.isArray(v.deferred);

const isHistoryEntry = (v: unknown): v is HistoryEntry =>
  isObject(v) && (v.kind === 'before' || v.kind === 'after') && typeof v.takenAt === 'string' && isObject(v.summary) && typeof v.summary.total === 'number' && isObject(v.summary.byRole);

function runRecord(v: unknown, where: string): RunRecord {
  if (!isObject(v) || typeof v.ok !== 'boolean' || !Array.isArray(v.leftBehind) || !('readyMs' in v)) throw new UsageError(`${where}: not a run: expected ok, readyMs and leftBehind`);
  for (const [i, p] of (v.leftBehind as unknown[]).entries()) {
    if (!isObject(p) || typeof p.pid !== 'number' || !Array.isArray(p.argv)) throw new UsageError(`${where}: leftBehind[${i}] must hold pid and argv`);
  }
  if (v.diagnosis !== null && v.diagnosis !== undefined && !isDiagnosis(v.diagnosis)) throw new UsageError(`${where}: diagnosis must hold verdict, findings, deferred and skipped`);
  return { ...(v as unknown as RunRecord), diagnosis: (v.diagnosis as Diagnosis | undefined) ?? null };
}

function procRecord(v: Record<string, unknown>, where: string): ProcRecord {
  if (typeof v.t !== 'string' || typeof v.ok !== 'boolean') throw new UsageError(`${where}: a procs record must hold ok and t`);
  if (v.ok && (!isObject(v.counts) || typeof v.orphans !== 'number' || !isObject(v.rssBytes))) throw new UsageError(`${where}: a procs record must hold counts, orphans and rssBytes`);
  if (v.processes !== undefined && !(Array.isArray(v.processes) && v.processes.every((p) => isObject(p) && typeof p.pid === 'number' && typeof p.ppid === 'number' && Array.isArray(p.argv)))) throw new UsageError(`${where}: processes must be a list of processes with pid, ppid and argv`);
  return v as unknown as ProcRecord;
}

function metricsRecord(v: Record<string, unknown>, where: string): MetricsSample {
  if (typeof v.t !== 'string' || typeof v.ok !== 'boolean') throw new UsageError(`${where}: a metrics record must hold ok and t`);
  if (v.ok && !Array.isArray(v.keys)) throw new UsageError(`${where}: a metrics record must hold keys`);
  return v as unknown as MetricsSample;
}

/** One JSON document (not NDJSON): which kind it is, or null. */
function fromDocument(doc: unknown, name: string): ReportInput | null {
  if (!isObject(doc)) return null;
  if (doc.kind === EVIDENCE_KIND) return { kind: 'evidence', name, evidence: checkEvidence(doc, name), diagnosis: null };
  // `evidence --json`: the document with its diagnosis.
  if (doc.kind === 'rerun-doctor-bundle' && isObject(doc.evidence)) return { kind: 'evidence', name, evidence: checkEvidence(doc.evidence, name), diagnosis: isDiagnosis(doc.diagnosis) ? doc.diagnosis : null };
  if (isDiagnosis(doc)) return { kind: 'diagnosis', name, diagnosis: doc };
  if (Array.isArray(doc.runs) && Array.isArray(doc.command)) {
    return { kind: 'rerun', name, command: doc.command.map(String), runs: doc.runs.map((r, i) => runRecord(r, `${name}: runs[${i}]`)), error: typeof doc.error === 'string' ? doc.error : null };
  }
  // `check --json`: one run.
  if (Array.isArray(doc.command) && typeof doc.ok === 'boolean' && Array.isArray(doc.leftBehind)) return { kind: 'rerun', name, command: doc.command.map(String), runs: [runRecord(doc, name)], error: doc.ok ? null : String(doc.error) };
  if (Array.isArray(doc.entries) && 'trend' in doc) {
    const bad = doc.entries.findIndex((e) => !isHistoryEntry(e));
    if (bad >= 0) throw new UsageError(`${name}: entries[${bad}] is not a count history entry (kind, takenAt, summary)`);
    return { kind: 'count-history', name, entries: doc.entries as HistoryEntry[] };
  }
  return null;
}

/** NDJSON: recordings (a file may hold several, each after its header) or history lines. */
function fromLines(text: string, name: string): ReportInput[] | null {
  const lines = text.split('\n');
  const out: ReportInput[] = [];
  let current: ReportInput | null = null;
  const history: HistoryEntry[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `${name}: line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      // A recording cut off mid-line (the watch was killed): its last line only.
      if (i >= lines.length - 2 && out.length + history.length + (current ? 1 : 0) > 0) continue;
      if (out.length === 0 && history.length === 0 && current === null) return null;
      throw new UsageError(`${where}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!isObject(v)) return out.length === 0 && current === null ? null : fail(where);
    if (v.type === 'header') {
      if (current) out.push(current);
      if (v.kind === 'procs') current = { kind: 'watch-procs', name, intervalMs: typeof v.intervalMs === 'number' ? v.intervalMs : null, samples: [] };
      else if (v.kind === 'metrics') current = { kind: 'watch-metrics', name, url: typeof v.url === 'string' ? v.url : null, samples: [] };
      else if (v.kind === 'rerun') current = { kind: 'rerun', name, command: Array.isArray(v.command) ? v.command.map(String) : [], runs: [], error: null };
      else throw new UsageError(`${where}: a header of kind ${JSON.stringify(v.kind)}: expected "procs", "metrics" or "rerun"`);
      continue;
    }
    if (v.type === 'procs') {
      if (current?.kind !== 'watch-procs') {
        if (current) out.push(current);
        current = { kind: 'watch-procs', name, intervalMs: null, samples: [] };
      }
      current.samples.push(procRecord(v, where));
    } else if (v.type === 'metrics') {
      if (current?.kind !== 'watch-metrics') {
        if (current) out.push(current);
        current = { kind: 'watch-metrics', name, url: typeof v.url === 'string' ? v.url : null, samples: [] };
      }
      current.samples.push(metricsRecord(v, where));
    } else if (v.type === 'run') {
      if (current?.kind !== 'rerun') {
        if (current) out.push(current);
        current = { kind: 'rerun', name, command: [], runs: [], error: null };
      }
      const run = runRecord(v, where);
      current.runs.push(run);
      if (!run.ok) current.error = `run ${current.runs.length} could not be checked: ${run.error}`;
    } else if (isHistoryEntry(v)) history.push(v);
    else return out.length === 0 && current === null && history.length === 0 ? null : fail(where);
  }
  if (current) out.push(current);
  if (history.length > 0) out.push({ kind: 'count-history', name, entries: history });
  return out.length > 0 ? out : null;
}

function fail(where: string): never {
  throw new UsageError(`${where}: not a record of this file's kind (a watch or rerun record, or a count history line)`);
}

/** The inputs in one file's text (a recording file may hold several); `name` names it in every error. */
export function readReportInputs(text: string, name: string): ReportInput[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new UsageError(`${name}: is empty: ${EXPECTED}`);
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    let whole = true;
    try {
      doc = JSON.parse(body);
    } catch {
      whole = false;
    }
    if (whole) {
      const one = fromDocument(doc, name);
      if (one) return [one];
      // One record alone (a single history line, one watch line) is NDJSON too.
      const lines = fromLines(body, name);
      if (lines) return lines;
      throw new UsageError(`${name}: not a report input: ${EXPECTED}`);
    }
    const lines = fromLines(body, name);
    if (lines) return lines;
    throw new UsageError(`${name}: not a report input: ${EXPECTED}`);
  }
  if (body.includes(EMBED_MARKER)) return [{ kind: 'evidence', name, evidence: parseEvidence(body, name), diagnosis: null }];
  throw new UsageError(`${name}: not a report input: ${EXPECTED}`);
}
