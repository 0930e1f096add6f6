// The JSON contract of issue 8 (diagnose findings, the clean plan and report, procs roles), read
// from a sandbox scenario's CLI runs, and the assertions every attribution case makes with it:
// healthy = no finding at warning or above and a plan with no target; broken = clean ends
// exactly the leftovers, by pid, and everything else that was alive before is alive after.
import assert from 'node:assert/strict';
import type { CliRun, SandboxResult } from './sandbox.js';

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  pids: number[];
  ports: number[];
  evidence?: unknown[];
}

export interface PlanTarget {
  pid: number;
  startKey?: number;
  role?: string;
  kind?: string;
  argv?: string[];
  why?: string;
  run?: unknown;
  phase?: unknown;
}

export interface PlanRun {
  id: unknown;
  status: 'running' | 'detached' | 'orphaned' | string;
  scope?: string;
  cwd?: string;
  decision: 'clean' | 'leave';
  why?: string;
}

export interface CleanJson {
  schemaVersion: number;
  plan: { targets: PlanTarget[]; excluded: { pid: number; argv?: string[]; why?: string }[]; runs: PlanRun[] };
  report: null | { results: { pid: number; outcome: string; detail?: string }[]; survivors: number[]; rounds: number };
}

export interface ProcsJson {
  processes: { pid: number; role: string; kind: string; orphan?: boolean; argv?: string[] }[];
}

const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

function context(r: SandboxResult, c: CliRun, name: string): string {
  return `${r.name}: cli ${name} exit ${c.code}\n--- stdout\n${c.stdout.slice(0, 4000)}\n--- stderr\n${c.stderr.slice(0, 1500)}\n--- ${r.describe()}`;
}

export function findings(r: SandboxResult, name: string): Finding[] {
  const c = r.cli(name);
  const j = c.json<{ findings?: Finding[] }>();
  assert.ok(Array.isArray(j.findings), `diagnose --json has findings[]\n${context(r, c, name)}`);
  return j.findings;
}

/** Findings at warning or error. */
export function serious(r: SandboxResult, name: string): Finding[] {
  return findings(r, name).filter((f) => f.severity === 'warning' || f.severity === 'error');
}

export const brief = (fs: Finding[]) => fs.map((f) => `${f.id}/${f.severity} pids ${f.pids.join(',')} ports ${f.ports.join(',')}: ${f.title}`).join('\n') || '(none)';

/** `clean --json` parsed, with the usage/exit checks every case needs. */
export function cleanJson(r: SandboxResult, name: string): CleanJson {
  const c = r.cli(name);
  const j = c.json<CleanJson>();
  assert.ok(j.plan && Array.isArray(j.plan.targets), `clean --json has plan.targets[]\n${context(r, c, name)}`);
  return j;
}

export function targets(r: SandboxResult, name: string): number[] {
  return sorted(cleanJson(r, name).plan.targets.map((t) => t.pid));
}

/** A healthy picture: no finding at warning or above; the dry run plans nothing. */
export function assertHealthy(r: SandboxResult, diag: string, dry: string): void {
  assert.deepEqual(brief(serious(r, diag)), '(none)', `${r.name}: no finding at warning or above\n${context(r, r.cli(diag), diag)}`);
  assertPlansNothing(r, dry);
}

export function assertPlansNothing(r: SandboxResult, dry: string): void {
  const j = cleanJson(r, dry);
  assert.deepEqual(j.plan.targets.map((t) => `${t.pid} ${t.role}/${t.kind} ${t.why}`), [], `${r.name}: clean --dry-run plans nothing\n${context(r, r.cli(dry), dry)}`);
  assert.equal(j.report, null, `${r.name}: a dry run signals nothing`);
  assert.equal(r.cli(dry).code, 0, `${r.name}: a dry run with nothing to do exits 0\n${context(r, r.cli(dry), dry)}`);
}

export function roleOf(r: SandboxResult, procs: string, pid: number): { role: string; kind: string } | undefined {
  const c = r.cli(procs);
  const p = c.json<ProcsJson>().processes.find((x) => x.pid === pid);
  return p && { role: p.role, kind: p.kind };
}

/** procs --json: PID is the server; the other pids (wrappers, workers) are not. */
export function assertServer(r: SandboxResult, procs: string, server: number, notServers: number[] = []): void {
  const c = r.cli(procs);
  const all = c.json<ProcsJson>().processes;
  const table = all.map((p) => `${p.pid} ${p.role}/${p.kind} ${(p.argv ?? []).join(' ').slice(0, 90)}`).join('\n');
  const s = all.find((p) => p.pid === server);
  assert.ok(s, `${r.name}: the server ${server} is in procs --json (not dropped)\n${table}`);
  assert.equal(s.role, 'server', `${r.name}: ${server} is role server\n${table}`);
  for (const pid of notServers) {
    const p = all.find((x) => x.pid === pid);
    assert.notEqual(p?.role, 'server', `${r.name}: ${pid} (${(p?.argv ?? []).join(' ').slice(0, 60)}) is not a server\n${table}`);
  }
}

const ENDED = new Set(['terminated', 'killed', 'already-gone']);

/**
 * `clean --yes --json` (CLEAN) ended exactly LEFTOVERS: the plan's targets are the leftovers by
 * pid, each was ended (or had already gone, as a resource tracker does once its last holder is
 * gone), nothing survived, and every other process alive in snapshot BEFORE (taken right before
 * the clean) is alive in AFTER (`alive_since AFTER BEFORE`, right after it).
 */
export function assertCleanedExactly(r: SandboxResult, o: { clean: string; leftovers: number[]; before: string; after: string }): void {
  const c = r.cli(o.clean);
  const j = cleanJson(r, o.clean);
  const want = sorted(new Set(o.leftovers));
  assert.deepEqual(sorted(j.plan.targets.map((t) => t.pid)), want, `${r.name}: the plan's targets are exactly the leftovers\n${context(r, c, o.clean)}`);
  // With nothing to end, nothing is signalled: an empty report or none (report: null) both say so.
  if (want.length > 0 || j.report) {
    assert.ok(j.report, `${r.name}: clean --yes reports\n${context(r, c, o.clean)}`);
    const results = new Map(j.report.results.map((x) => [x.pid, x.outcome]));
    for (const pid of want) assert.ok(ENDED.has(results.get(pid) ?? ''), `${r.name}: leftover ${pid} was ended (${results.get(pid)})\n${context(r, c, o.clean)}`);
    assert.deepEqual(sorted(results.keys()), want, `${r.name}: clean signalled exactly the leftovers\n${context(r, c, o.clean)}`);
    assert.deepEqual(j.report.survivors, [], `${r.name}: nothing it targeted survived`);
  }
  assert.equal(c.code, 0, `${r.name}: clean exits 0 when everything targeted is gone\n${context(r, c, o.clean)}`);
  const after = r.alive(o.after);
  const before = r.snapshot(o.before);
  for (const pid of want) assert.equal(after.get(pid), false, `${r.name}: leftover ${pid} is gone after clean`);
  for (const p of before) {
    if (want.includes(p.pid)) continue;
    assert.equal(after.get(p.pid), true, `${r.name}: ${p.pid} (${p.argv.join(' ').slice(0, 90)}) was not left behind and must be alive after clean\n${context(r, c, o.clean)}`);
  }
}
