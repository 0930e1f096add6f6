// From the inputs as read to what the page shows: every input redacted as `rerun-doctor evidence`
// redacts (an evidence document through `shareable`, redacted value by value and trimmed to what
// its diagnosis reads; every other document through the same `redactTree`), each evidence
// document diagnosed (its own diagnosis when it carries one, as `evidence --json` does) and its
// census classified with its own settings, for the process trees. Pure.
import { diagnose } from '../diagnosis/diagnose.js';
import { diagnosisInput } from '../diagnosis/input.js';
import { shareable } from '../evidence/share.js';
import { redactArgv } from '../evidence/redact/argv.js';
import { redactTree } from '../evidence/redact/tree.js';
import type { Census } from '../model/census.js';
import type { Diagnosis } from '../model/diagnosis.js';
import type { RuleSettings } from '../rules/settings.js';
import type { RecordedProcess, ReportInput } from './inputs.js';

export interface TreeProc {
  pid: number;
  ppid: number;
  role: string;
  kind: string | null;
  orphan: boolean;
  zombie: boolean;
  argv: string[];
  rssBytes: number | null;
  ports: number[];
  /** Why it is an orphan (or was adopted), when the census says. */
  note: string | null;
}

export interface TreeRun {
  title: string;
  /** running, detached or orphaned, when the census judged it (a watch record does not say). */
  status: string | null;
  statusText: string | null;
  procs: TreeProc[];
}

export interface TreeView {
  source: string;
  what: string;
  takenAt: string;
  runs: TreeRun[];
}

export interface Prepared {
  inputs: ReportInput[];
  redactions: number;
  diagnoses: Array<{ source: string; what: string; diagnosis: Diagnosis }>;
  trees: TreeView[];
}

function censusTree(source: string, census: Census): TreeView {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const runs = census.generations.map((g) => ({
    title: `run ${g.id} of ${census.generations.length}${g.serverPid !== null ? `, server ${g.serverPid}` : ''}`,
    status: g.status,
    statusText: g.statusReason,
    procs: g.pids
      .map((pid) => byPid.get(pid))
      .filter((p) => p !== undefined)
      .map((p) => ({ pid: p.pid, ppid: p.ppid, role: p.role ?? 'other', kind: p.kind, orphan: p.orphan, zombie: p.zombie, argv: p.argv, rssBytes: p.rssBytes, ports: p.ports, note: p.orphan ? p.orphanReason : p.adopted ? p.adoptedReason : null })),
  }));
  return { source, what: 'the census judged (end of the diagnosis window)', takenAt: census.snapshot.takenAt, runs };
}

function recordTree(source: string, t: string, processes: RecordedProcess[]): TreeView {
  const gens = [...new Set(processes.map((p) => p.generation))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  const runs = gens.map((g) => {
    const procs = processes.filter((p) => p.generation === g);
    const orphaned = procs.length > 0 && procs.every((p) => p.orphan || p.zombie);
    return {
      title: g === null ? 'no run' : `run ${g} of ${gens.length}`,
      status: orphaned ? 'orphaned' : null,
      statusText: orphaned ? 'every process of this run is an orphan' : null,
      procs: procs.map((p) => ({ pid: p.pid, ppid: p.ppid, role: p.role, kind: p.kind, orphan: p.orphan, zombie: p.zombie, argv: p.argv, rssBytes: p.rssBytes, ports: [], note: null })),
    };
  });
  return { source, what: 'the last sample of the recording', takenAt: t, runs };
}

/** Every input redacted; the diagnoses and process trees of those that have them. */
export function prepare(raw: ReportInput[], o: { rules?: RuleSettings } = {}): Prepared {
  let redactions = 0;
  const inputs: ReportInput[] = [];
  const diagnoses: Prepared['diagnoses'] = [];
  const trees: TreeView[] = [];
  for (const input of raw) {
    if (input.kind === 'evidence') {
      const shared = shareable(input.evidence);
      redactions += shared.redactions;
      let diagnosis: Diagnosis;
      if (input.diagnosis) {
        const r = redactTree(input.diagnosis);
        redactions += r.redactions;
        diagnosis = r.value;
      } else diagnosis = diagnose(shared.evidence, { rules: o.rules, where: input.name });
      inputs.push({ ...input, evidence: shared.evidence, diagnosis });
      diagnoses.push({ source: input.name, what: `evidence collected ${shared.evidence.collectedAt} by ${shared.evidence.tool}`, diagnosis });
      trees.push(censusTree(input.name, diagnosisInput(shared.evidence, input.name).census));
      continue;
    }
    // The file's name is the user's own, shown as given; everything in the file is redacted. A
    // rerun's command is an argv under another key: redacted as one, element by element.
    const { name, ...rest } = input;
    const command = rest.kind === 'rerun' ? redactArgv(rest.command) : null;
    const r = redactTree(command ? { ...rest, command: [] } : rest);
    redactions += r.redactions + (command?.redactions ?? 0);
    const red = { ...r.value, name, ...(command ? { command: command.argv } : {}) } as ReportInput;
    inputs.push(red);
    if (red.kind === 'diagnosis') diagnoses.push({ source: name, what: 'a saved diagnosis', diagnosis: red.diagnosis });
    else if (red.kind === 'watch-procs') {
      const last = [...red.samples].reverse().find((s) => s.ok && s.processes !== undefined);
      if (last) trees.push(recordTree(name, last.t, last.processes ?? []));
    }
  }
  return { inputs, redactions, diagnoses, trees };
}
