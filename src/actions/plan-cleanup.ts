// Which processes `clean` may end, each with the reason it is in or out. Pure: the plan is made
// from the census and the diagnosis, then shown, then executed after re-reading every identity.
import type { Census, ClassifiedProcess } from '../model/census.js';
import type { Diagnosis } from '../rules/diagnose.js';

export interface Target {
  pid: number;
  /** Identity at planning time: the process is re-read before every signal and skipped on a mismatch. */
  startKey: number;
  uid: number | null;
  role: string | null;
  kind: string | null;
  argv: string[];
  ports: number[];
  why: string;
}

export interface Excluded {
  pid: number;
  argv: string[];
  why: string;
}

export interface CleanupPlan {
  targets: Target[];
  excluded: Excluded[];
}

export interface PlanOptions {
  selfPid: number;
  /** Our own ancestors: never signalled. */
  ancestors: number[];
  /** Our uid (null on an unknown platform); other users' processes need root and --all-users. */
  uid: number | null;
  allUsers: boolean;
  /** As root under sudo: the invoking user's processes are theirs, not another user's. */
  sudoUid: number | null;
}

/** Findings whose processes clean may end: what the last run left, never the running server. */
const CLEANABLE = new Set(['orphan-server', 'orphan-workers', 'process-leak', 'gpu-memory-held']);

export function planCleanup(census: Census, diagnosis: Diagnosis, o: PlanOptions): CleanupPlan {
  const genStatus = new Map(census.generations.map((g) => [g.id, g.status]));
  const reasons = new Map<number, string>();
  for (const f of diagnosis.findings) {
    if (!CLEANABLE.has(f.id)) continue;
    for (const pid of f.pids) if (!reasons.has(pid)) reasons.set(pid, `${f.id}: ${f.title}`);
  }
  const targets: Target[] = [];
  const excluded: Excluded[] = [];
  const out = (p: ClassifiedProcess, why: string) => excluded.push({ pid: p.pid, argv: p.argv, why });
  for (const p of census.processes) {
    const reason = reasons.get(p.pid);
    if (reason === undefined) {
      if (p.role !== null) {
        if (p.zombie) out(p, `a zombie: nothing to end; its parent ${p.ppid} must reap it`);
        else if (genStatus.get(p.generation ?? -1) === 'current') out(p, `part of the current run (run ${p.generation}): not left behind`);
        else out(p, 'a project process no finding attributes to a dead run');
      }
      continue;
    }
    // Only what a run left behind: an orphan, a process of a run whose server is gone, or a server
    // the orphan-server finding names. Never a live run's process, even if a finding counts it.
    const leftBehind = p.orphan || genStatus.get(p.generation ?? -1) === 'orphaned' || reason.startsWith('orphan-server');
    if (!leftBehind) out(p, `${reason.split(':')[0]} counts it, but it belongs to a running server (run ${p.generation ?? '?'})`);
    else if (p.pid <= 1) out(p, 'pid 1 is never signalled');
    else if (p.pid === o.selfPid || o.ancestors.includes(p.pid)) out(p, 'rerun-doctor itself or one of its parents');
    else if (p.zombie) out(p, `a zombie: nothing to end; its parent ${p.ppid} must reap it`);
    else if (o.uid !== null && o.uid !== 0 && p.uid !== null && p.uid !== o.uid) out(p, `another user's (uid ${p.uid}): not signalled`);
    else if (o.uid === 0 && p.uid !== null && p.uid !== 0 && !o.allUsers && p.uid !== o.sudoUid) out(p, `another user's (uid ${p.uid}): pass --all-users to include it`);
    else targets.push({ pid: p.pid, startKey: p.startKey, uid: p.uid, role: p.role, kind: p.kind, argv: p.argv, ports: p.ports, why: reason });
  }
  return { targets, excluded };
}
