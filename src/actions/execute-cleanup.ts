// Carrying out a cleanup plan: servers, workers and launchers first (SIGTERM, a grace period,
// SIGKILL for survivors), then the helpers, which get their grace to exit by themselves (the
// resource tracker unlinks its run's shared memory and semaphores when the others are gone)
// before they are signalled. Every signal is preceded by a fresh read of the target's identity
// (pid + start time): a pid that now belongs to another process is skipped (PID reuse;
// anchors.md §2.2). Then the census is taken again and what the dead runs still hold (a process
// forked meanwhile) is planned and ended the same way, for a few rounds.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { parseLstart } from '../os/darwin/ps.js';
import { parseProcStat } from '../os/linux/proc-pid.js';
import type { CleanupPlan, Target } from './plan-cleanup.js';

export type TargetOutcome = 'terminated' | 'killed' | 'already-gone' | 'identity-changed' | 'denied' | 'survived';

export interface TargetResult {
  pid: number;
  outcome: TargetOutcome;
  detail: string;
  /** The round (1 = the plan shown) that found it. */
  round: number;
}

export interface CleanupReport {
  results: TargetResult[];
  survivors: number[];
  /** Rounds taken: the plan, then one more for each re-census that found more of the dead runs. */
  rounds: number;
}

export interface ExecuteOptions {
  graceMs: number;
  progress?: (line: string) => void;
  /** Takes the census again and plans again; what it plans that was not handled yet is the next round. */
  replan?: () => Promise<CleanupPlan>;
  maxRounds?: number;
}

/** The identity of a pid now: its start stamp, or null when gone (zombies count as gone). */
export async function currentIdentity(host: Host, pid: number): Promise<{ startKey: number } | null | 'denied'> {
  if (host.platform === 'linux') {
    try {
      const st = parseProcStat(host.proc.read(`${pid}/stat`, { singleRead: true }), `/proc/${pid}/stat`);
      return st.state === 'Z' ? null : { startKey: st.startTicks };
    } catch (e) {
      if (e instanceof ProcessGone) return null;
      // hidepid: it may well be alive; never take "cannot see it" for "gone".
      if (e instanceof AccessDenied) return 'denied';
      throw e;
    }
  }
  // macOS: lstart in UTC, epoch seconds, as the darwin process probe keys processes (parseLstart).
  const r = await host.run(['ps', '-o', 'stat=,lstart=', '-p', String(pid)], { env: { ...host.env, LC_ALL: 'C', TZ: 'UTC0' } });
  const m = /^\s*(\S+)\s+(\w{3})\s+(\w{3})\s+(\d+)\s+(\d\d):(\d\d):(\d\d)\s+(\d{4})/.exec(r.stdout);
  if (r.code !== 0 || !m || m[1]!.startsWith('Z')) return null;
  const ms = parseLstart(m[2]!, m[3]!, Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]), Number(m[8]), 0);
  return ms === null ? null : { startKey: ms / 1000 };
}

async function same(host: Host, t: Target): Promise<'same' | 'gone' | 'changed' | 'denied'> {
  const id = await currentIdentity(host, t.pid);
  if (id === 'denied') return 'denied';
  if (!id) return 'gone';
  return id.startKey === t.startKey ? 'same' : 'changed';
}

type State = Map<string, { outcome: TargetOutcome; detail: string }>;
const key = (t: Pick<Target, 'pid' | 'startKey'>) => `${t.pid}@${t.startKey}`;

/** Signals t if it is still the process planned; records why not otherwise. True when sent. */
async function signal(host: Host, t: Target, sig: NodeJS.Signals, state: State): Promise<boolean> {
  const s = await same(host, t);
  if (s === 'denied') state.set(key(t), { outcome: 'denied', detail: `its /proc entry is not readable: identity cannot be checked, ${sig} not sent` });
  else if (s === 'gone') {
    if (!state.has(key(t))) state.set(key(t), { outcome: 'already-gone', detail: `gone before ${sig}` });
  }
  else if (s === 'changed') state.set(key(t), { outcome: 'identity-changed', detail: `the pid now belongs to another process (its start time changed): ${sig} not sent` });
  else {
    const k = host.kill(t.pid, sig);
    if (k === 'denied') state.set(key(t), { outcome: 'denied', detail: `${sig} refused (EPERM)` });
    else if (k === 'gone') state.set(key(t), { outcome: 'already-gone', detail: `gone before ${sig}` });
    else return true;
  }
  return false;
}

/** Polls until every target is gone or the deadline passes; returns the ones still there. */
async function waitGone(host: Host, ts: Target[], ms: number): Promise<Target[]> {
  const deadline = Date.now() + ms;
  let left = ts;
  while (left.length > 0) {
    const next: Target[] = [];
    for (const t of left) {
      const s = await same(host, t);
      if (s === 'same' || s === 'denied') next.push(t);
    }
    left = next;
    if (left.length === 0 || Date.now() >= deadline) break;
    await host.sleep(50);
  }
  return left;
}

/** TERM → grace → KILL for one phase; with `selfExitFirst`, the grace comes before the SIGTERM too. */
async function endPhase(host: Host, ts: Target[], graceMs: number, state: State, selfExitFirst: boolean, progress?: (l: string) => void): Promise<void> {
  if (ts.length === 0) return;
  let pending = ts;
  if (selfExitFirst) {
    progress?.(`waiting up to ${graceMs / 1000} s for ${ts.length} helper${ts.length === 1 ? '' : 's'} to exit by themselves (a resource tracker unlinks what its run leaked)`);
    const left = await waitGone(host, pending, graceMs);
    for (const t of pending) if (!left.includes(t)) state.set(key(t), { outcome: 'terminated', detail: 'exited by itself once its run was gone' });
    pending = left;
  }
  const termed: Target[] = [];
  for (const t of pending) if (await signal(host, t, 'SIGTERM', state)) termed.push(t);
  if (termed.length > 0) progress?.(`SIGTERM sent to ${termed.length}; waiting up to ${graceMs / 1000} s`);
  const left = await waitGone(host, termed, graceMs);
  for (const t of termed) if (!left.includes(t)) state.set(key(t), { outcome: 'terminated', detail: 'ended after SIGTERM' });
  const killed: Target[] = [];
  for (const t of left) {
    // Re-read right before SIGKILL: the grace period is long enough for a pid to be reused. If it
    // is gone by now, SIGTERM ended it.
    state.set(key(t), { outcome: 'terminated', detail: 'ended after SIGTERM' });
    if (await signal(host, t, 'SIGKILL', state)) {
      killed.push(t);
      state.set(key(t), { outcome: 'killed', detail: `ignored SIGTERM for ${graceMs / 1000} s: SIGKILL` });
    }
  }
  // SIGKILL is not instant (the kernel tears the process down): give it a moment, then judge.
  const stuck = await waitGone(host, killed, 2000);
  for (const t of stuck) state.set(key(t), { outcome: 'survived', detail: 'SIGKILL sent; still alive (uninterruptible sleep, or another namespace)' });
}

export async function executeCleanup(host: Host, plan: CleanupPlan, o: ExecuteOptions): Promise<CleanupReport> {
  const state: State = new Map();
  const round = new Map<string, number>();
  const done: Target[] = [];
  let targets = plan.targets;
  let rounds = 0;
  const maxRounds = o.maxRounds ?? 3;
  while (targets.length > 0 && rounds < maxRounds) {
    rounds++;
    for (const t of targets) {
      round.set(key(t), rounds);
      done.push(t);
    }
    if (rounds > 1) o.progress?.(`round ${rounds}: ${targets.length} more process${targets.length === 1 ? '' : 'es'} of the dead runs found`);
    await endPhase(host, targets.filter((t) => t.phase === 'processes'), o.graceMs, state, false, o.progress);
    await endPhase(host, targets.filter((t) => t.phase === 'helpers'), o.graceMs, state, true, o.progress);
    if (!o.replan) break;
    const next = await o.replan();
    targets = next.targets.filter((t) => !round.has(key(t)));
  }
  const results: TargetResult[] = [];
  const survivors: number[] = [];
  for (const t of done) {
    let st = state.get(key(t)) ?? { outcome: 'survived' as const, detail: 'not reached' };
    // Final word: anything recorded as ended must really be gone.
    if ((st.outcome === 'terminated' || st.outcome === 'killed') && (await same(host, t)) === 'same') st = { outcome: 'survived', detail: `${st.detail}; still alive` };
    results.push({ pid: t.pid, ...st, round: round.get(key(t))! });
    if (st.outcome === 'survived' || st.outcome === 'denied') survivors.push(t.pid);
  }
  return { results, survivors, rounds };
}
