// Which shared-memory segments `clean --shm` unlinks, each with why; and why every other segment of
// a dead run is left. Pure, from the shm evidence, the census and the process plan made from the
// same census: a segment is removed only when it is leaked (src/census/shm.ts: nobody holds it,
// every process that could is in view, its creator is gone, no live run was there when it was
// made) and of a dead run this clean ends, or held only by processes this clean ends (then it is
// unlinked only if nothing holds it once they are gone). docs/clean.md.
import { judgeShm, SHM_JUDGE_DEFAULTS, type ShmJudgement } from '../census/shm.js';
import type { Census } from '../model/census.js';
import type { CleanupPlan, ShmLeft, ShmPlan, ShmTarget } from '../model/cleanup-plan.js';
import type { Outcome } from '../model/outcome.js';
import type { ShmEvidence } from '../model/shm.js';

export interface ShmPlanOptions {
  /** --shm: unlink the targets (without it they are only shown). */
  enabled: boolean;
  /** Segments of other projects' dead runs, and of runs no process is left of (whose project cannot be told). */
  allProjects: boolean;
  /** Our uid (null: unknown); as for processes, another user's segments are left (as root: unless allUsers; the sudo user's are ours). */
  uid: number | null;
  sudoUid: number | null;
  allUsers: boolean;
  runSlackSeconds?: number;
  /** The directory, for a plan made without its evidence (unavailable, failed). */
  dir?: string;
}

function ownerProblem(uid: number, o: ShmPlanOptions): string | null {
  if (o.uid === null) return 'its owner cannot be compared with ours: not removed';
  if (o.uid !== 0 && uid !== o.uid) return `another user's (uid ${uid}): not removed`;
  if (o.uid === 0 && uid !== 0 && !o.allUsers && uid !== o.sudoUid) return `another user's (uid ${uid}): pass --all-users to include it`;
  return null;
}

export function planShm(shm: Outcome<ShmEvidence>, census: Census, plan: CleanupPlan, o: ShmPlanOptions): ShmPlan {
  if (shm.status !== 'ok') return { enabled: o.enabled, dir: o.dir ?? shm.source, status: shm.status, reason: shm.reason, usage: null, targets: [], left: [], inUse: { count: 0, bytes: 0 } };
  const ev = shm.value;
  const decision = new Map(plan.runs.map((r) => [r.id, r]));
  const cleaning = new Set(plan.runs.filter((r) => r.decision === 'clean').map((r) => r.id));
  const ending = new Set(plan.targets.map((t) => t.pid));
  const excluded = new Map(plan.excluded.map((e) => [e.pid, e.why]));
  const js = judgeShm(ev, census, { runSlackSeconds: o.runSlackSeconds ?? SHM_JUDGE_DEFAULTS.runSlackSeconds, alsoDead: cleaning });
  const targets: ShmTarget[] = [];
  const left: ShmLeft[] = [];
  const inUse = { count: 0, bytes: 0 };
  const leave = (j: ShmJudgement, why: string) => left.push({ name: j.segment.name, kind: j.segment.kind, bytes: j.segment.usedBytes, uid: j.segment.uid, state: j.state, why });
  const runsLeft = (j: ShmJudgement) => j.runs.filter((id) => !cleaning.has(id)).map((id) => `run ${id} is left alone (${decision.get(id)?.why ?? 'not in the plan'})`);
  for (const j of js) {
    const s = j.segment;
    if (j.state === 'in-use' || j.state === 'creator-alive') {
      inUse.count++;
      inUse.bytes += s.usedBytes;
      continue;
    }
    if (j.state === 'maybe-in-use' || j.state === 'unknown') {
      leave(j, `${j.why}: not removed`);
      continue;
    }
    let after: number[] = [];
    if (j.state === 'held-by-dead-run') {
      const notEnded = j.pids.filter((pid) => !ending.has(pid));
      if (notEnded.length > 0) {
        leave(j, `${j.why}; but ${notEnded.map((pid) => `pid ${pid} is not ended${excluded.has(pid) ? ` (${excluded.get(pid)})` : ''}`).join('; ')}`);
        continue;
      }
      after = j.pids;
    }
    const alone = runsLeft(j);
    if (alone.length > 0) {
      leave(j, `${j.why}; but ${alone.join('; ')}`);
      continue;
    }
    if (j.owner === 'gone' && !o.allProjects) {
      leave(j, `${j.why}: pass --all-projects to remove it`);
      continue;
    }
    if (j.owner === 'other' && !o.allProjects) {
      leave(j, `${j.why}: not surely this project's: pass --all-projects to remove it`);
      continue;
    }
    const owner = ownerProblem(s.uid, o);
    if (owner) {
      leave(j, `${j.why}; ${owner}`);
      continue;
    }
    targets.push({ name: s.name, kind: s.kind, bytes: s.usedBytes, uid: s.uid, dev: s.dev, ino: s.ino, mtimeMs: s.mtimeMs, createdAt: s.createdAt, why: j.why, runs: j.runs, after });
  }
  return { enabled: o.enabled, dir: ev.dir, status: 'ok', reason: null, usage: ev.usage, targets, left, inUse };
}
