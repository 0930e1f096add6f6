// Carrying out a cleanup plan: SIGTERM first, a grace period, SIGKILL for survivors, each signal
// preceded by a fresh read of the target's identity (pid + start time): a pid that now
// belongs to another process is skipped (PID reuse; anchors.md §2.2). Then verify.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { parseLstart } from '../os/darwin/ps.js';
import { parseProcStat } from '../os/linux/proc-pid.js';
import type { CleanupPlan, Target } from './plan-cleanup.js';

export type TargetOutcome = 'terminated' | 'killed' | 'already-gone' | 'identity-changed' | 'denied' | 'survived';

export interface CleanupReport {
  results: Array<{ pid: number; outcome: TargetOutcome; detail: string }>;
  survivors: number[];
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

export async function executeCleanup(host: Host, plan: CleanupPlan, o: { graceMs: number; progress?: (l: string) => void }): Promise<CleanupReport> {
  const state = new Map<number, { outcome: TargetOutcome; detail: string }>();
  const pending: Target[] = [];
  for (const t of plan.targets) {
    const s = await same(host, t);
    if (s === 'denied') state.set(t.pid, { outcome: 'denied', detail: 'its /proc entry is not readable: identity cannot be checked, not signalled' });
    else if (s === 'gone') state.set(t.pid, { outcome: 'already-gone', detail: 'gone before the first signal' });
    else if (s === 'changed') state.set(t.pid, { outcome: 'identity-changed', detail: 'the pid now belongs to another process (its start time changed): not signalled' });
    else {
      const k = host.kill(t.pid, 'SIGTERM');
      if (k === 'denied') state.set(t.pid, { outcome: 'denied', detail: 'SIGTERM refused (EPERM)' });
      else if (k === 'gone') state.set(t.pid, { outcome: 'already-gone', detail: 'gone before SIGTERM' });
      else pending.push(t);
    }
  }
  o.progress?.(`SIGTERM sent to ${pending.length}; waiting up to ${o.graceMs / 1000} s`);
  const deadline = Date.now() + o.graceMs;
  let left = pending;
  while (left.length > 0 && Date.now() < deadline) {
    await host.sleep(100);
    const next: Target[] = [];
    for (const t of left) {
      const now = await same(host, t);
      if (now === 'same' || now === 'denied') next.push(t);
      else state.set(t.pid, { outcome: 'terminated', detail: 'ended after SIGTERM' });
    }
    left = next;
  }
  for (const t of left) {
    // Re-read right before SIGKILL: the grace period is long enough for a pid to be reused.
    const s = await same(host, t);
    if (s === 'gone') state.set(t.pid, { outcome: 'terminated', detail: 'ended after SIGTERM' });
    else if (s === 'denied') state.set(t.pid, { outcome: 'denied', detail: 'identity no longer readable: SIGKILL not sent' });
    else if (s === 'changed') state.set(t.pid, { outcome: 'identity-changed', detail: 'ended, and the pid was reused before SIGKILL: not signalled' });
    else if (host.kill(t.pid, 'SIGKILL') === 'denied') state.set(t.pid, { outcome: 'denied', detail: 'SIGKILL refused (EPERM)' });
    else state.set(t.pid, { outcome: 'killed', detail: `ignored SIGTERM for ${o.graceMs / 1000} s: SIGKILL` });
  }
  // SIGKILL is not instant (the kernel tears the process down): give it a moment, then judge.
  const until = Date.now() + 2000;
  const killed = () => plan.targets.filter((t) => state.get(t.pid)?.outcome === 'killed');
  while (Date.now() < until && (await Promise.all(killed().map((t) => same(host, t)))).some((s) => s === 'same')) await host.sleep(50);
  const survivors: number[] = [];
  for (const t of plan.targets) {
    const st = state.get(t.pid)!;
    if ((st.outcome === 'killed' || st.outcome === 'terminated') && (await same(host, t)) === 'same') {
      state.set(t.pid, { outcome: 'survived', detail: `${st.detail}; still alive` });
    }
    if (state.get(t.pid)!.outcome === 'survived' || state.get(t.pid)!.outcome === 'denied') survivors.push(t.pid);
  }
  return { results: plan.targets.map((t) => ({ pid: t.pid, ...state.get(t.pid)! })), survivors };
}
