// One TERM → grace → KILL policy for every action that ends processes (clean, run, guard, the
// watchdog). execa's is the model (lib/terminate/kill.js: the kill signal, then
// `forceKillAfterDelay`, 5 s by default, then SIGKILL if the process has not exited), widened to a
// set of processes that may grow while it runs (a finder re-run between rounds: a run forks while
// it is being ended) and to phases run in order (a cleanup ends the workers and servers first, then
// gives the resource tracker its grace to unlink shared memory and semaphores before escalating:
// DOMAIN.md, "The resource tracker unlinks…").
//
// Every signal goes through signalIfSame, so each process's identity is re-read right before its
// SIGTERM and again before its SIGKILL: a pid reused during the grace period is never signalled.
import { refKey, type ProcessRef } from '../../model/process-ref.js';
import { checkMany, type ControlHost, type Sameness } from './identity.js';
import { protectedPids, signalIfSame, type SignalResult } from './signal.js';

export type { TerminateOutcome } from '../../model/process-ref.js';
import type { TerminateOutcome } from '../../model/process-ref.js';

/** A fixed list, or a finder re-run between rounds (whatever it returns that is new joins in). */
export type TargetSource<T extends ProcessRef> = readonly T[] | (() => Promise<readonly T[]> | readonly T[]);

export interface TerminatePhase<T extends ProcessRef> {
  /** Named in progress events and results ("workers and servers", "resource trackers"). */
  name: string;
  source: TargetSource<T>;
  /** This phase's grace period; default: the options' graceMs. */
  graceMs?: number;
  /**
   * The first signal; null: send nothing first and give the processes graceMs to exit by
   * themselves (a resource tracker ignores SIGTERM and exits once its last client is gone).
   * Default SIGTERM.
   */
  firstSignal?: NodeJS.Signals | null;
}

export type TerminateProgress =
  | { phase: string; step: 'signalled'; signal: NodeJS.Signals; count: number; graceMs: number }
  | { phase: string; step: 'waiting'; count: number; graceMs: number }
  | { phase: string; step: 'escalated'; count: number };

export interface TerminateOptions {
  /** Between the first signal and SIGKILL (execa's forceKillAfterDelay). */
  graceMs: number;
  /** pids never to signal, on top of 0, 1, this process and its ancestors. */
  protect?: ReadonlySet<number>;
  onProgress?: (p: TerminateProgress) => void;
  /** How often identities (and a finder) are re-read during the grace period. Default 100 ms. */
  pollMs?: number;
  /** How long SIGKILL is given to take effect before a process counts as 'survived'. Default 2 s. */
  killWaitMs?: number;
  /** Finder rounds after the grace period, each SIGKILLing what is new (a fork between sweep and kill). Default 5. */
  killRounds?: number;
}

export interface TerminateResult<T extends ProcessRef> {
  target: T;
  phase: string;
  outcome: TerminateOutcome;
  detail: string;
}

export interface TerminateReport<T extends ProcessRef> {
  /** One per distinct process (pid + start time), in the order they were found. */
  results: Array<TerminateResult<T>>;
  /** Those that may still be alive as found: survived, denied, refused. */
  survivors: T[];
}

/** "SIGTERM sent to 3; waiting up to 5 s": one line per progress event, for the commands. */
export function describeProgress(p: TerminateProgress): string {
  const s = (ms: number) => `${ms / 1000} s`;
  const phase = p.phase ? `${p.phase}: ` : '';
  if (p.step === 'signalled') return `${phase}${p.signal} sent to ${p.count}; waiting up to ${s(p.graceMs)}`;
  if (p.step === 'waiting') return `${phase}waiting up to ${s(p.graceMs)} for ${p.count} to exit by themselves`;
  return `${phase}SIGKILL sent to ${p.count}`;
}

interface Entry<T extends ProcessRef> {
  result: TerminateResult<T>;
  /** Still to be watched (pending: within the grace; killed: after SIGKILL). */
  stage: 'pending' | 'killed' | 'done';
}

const NOT_SENT: Record<Exclude<SignalResult, 'sent'>, (signal: string) => [TerminateOutcome, string]> = {
  gone: (sig) => ['already-gone', `gone before ${sig}`],
  changed: () => ['identity-changed', 'the pid now belongs to another process (its start time changed): not signalled'],
  denied: (sig) => ['denied', `identity not readable or ${sig} not permitted (EACCES/EPERM): not signalled`],
  refused: () => ['refused', 'pid ≤ 1, this process or one of its ancestors, or protected: never signalled'],
};

/** terminatePhases with a single phase. */
export function terminate<T extends ProcessRef>(host: ControlHost, source: TargetSource<T>, opts: TerminateOptions): Promise<TerminateReport<T>> {
  return terminatePhases(host, [{ name: '', source }], opts);
}

/**
 * Ends processes phase by phase: each phase's first signal (SIGTERM), up to its grace period for
 * them to exit, SIGKILL for the rest, ~2 s for SIGKILL to take effect; then the next phase. A
 * process already handled by an earlier phase is not handled again.
 */
export async function terminatePhases<T extends ProcessRef>(host: ControlHost, phases: ReadonlyArray<TerminatePhase<T>>, opts: TerminateOptions): Promise<TerminateReport<T>> {
  const protect = await protectedPids(host);
  for (const pid of opts.protect ?? []) protect.add(pid);
  const entries = new Map<string, Entry<T>>();
  for (const phase of phases) await runPhase(host, phase, opts, protect, entries);
  const results = [...entries.values()].map((e) => e.result);
  return { results, survivors: results.filter((r) => r.outcome === 'survived' || r.outcome === 'denied' || r.outcome === 'refused').map((r) => r.target) };
}

async function runPhase<T extends ProcessRef>(host: ControlHost, phase: TerminatePhase<T>, opts: TerminateOptions, protect: ReadonlySet<number>, entries: Map<string, Entry<T>>): Promise<void> {
  const graceMs = phase.graceMs ?? opts.graceMs;
  const first = phase.firstSignal === undefined ? 'SIGTERM' : phase.firstSignal;
  const pollMs = opts.pollMs ?? 100;
  const source = phase.source;
  const find = async (): Promise<readonly T[]> => (typeof source === 'function' ? await source() : source);
  const isFinder = typeof source === 'function';
  const now = () => host.now().getTime();
  const set = (e: Entry<T>, outcome: TerminateOutcome, detail: string, stage: Entry<T>['stage'] = 'done') => {
    e.result.outcome = outcome;
    e.result.detail = detail;
    e.stage = stage;
  };

  /** Takes in what is new; sends it `signal` (null: nothing, only watch it). Returns how many are now watched. */
  const admit = async (list: readonly T[], signal: NodeJS.Signals | null): Promise<number> => {
    let n = 0;
    for (const target of list) {
      const key = refKey(target);
      if (entries.has(key)) continue;
      const e: Entry<T> = { result: { target, phase: phase.name, outcome: 'already-gone', detail: '' }, stage: 'done' };
      entries.set(key, e);
      let r: SignalResult;
      if (signal === null) {
        const s = (await checkMany(host, [target])).get(target.pid) ?? 'gone';
        r = protect.has(target.pid) || target.pid <= 1 || target.pid === host.selfPid ? 'refused' : s === 'same' ? 'sent' : s;
      } else {
        r = await signalIfSame(host, target, signal, { protect });
      }
      if (r === 'sent') {
        if (signal === 'SIGKILL') set(e, 'killed', 'appeared after the grace period: SIGKILL at once', 'killed');
        else set(e, 'terminated', '', 'pending');
        n++;
      } else {
        const [outcome, detail] = NOT_SENT[r](signal ?? 'the grace period');
        set(e, outcome, detail);
      }
    }
    return n;
  };
  const inStage = (stage: Entry<T>['stage']) => [...entries.values()].filter((e) => e.stage === stage && e.result.phase === phase.name);

  // 1. The first signal, to everything found.
  const count = await admit(await find(), first);
  opts.onProgress?.(first ? { phase: phase.name, step: 'signalled', signal: first, count, graceMs } : { phase: phase.name, step: 'waiting', count, graceMs });

  // 2. The grace period: watch them exit; a finder's newcomers get the same first signal.
  const ended = first ? `ended after ${first}` : 'exited by itself within the grace period';
  const deadline = now() + graceMs;
  let newcomers = 0;
  while (now() < deadline && (inStage('pending').length > 0 || newcomers > 0)) {
    await host.sleep(pollMs);
    const pending = inStage('pending');
    const states = await checkMany(host, pending.map((e) => e.result.target));
    for (const e of pending) {
      const s: Sameness = states.get(e.result.target.pid) ?? 'gone';
      if (s === 'gone') set(e, 'terminated', ended);
      else if (s === 'changed') set(e, 'terminated', `${ended}; its pid now belongs to another process`);
    }
    newcomers = isFinder ? await admit(await find(), first) : 0;
    if (newcomers > 0 && first) opts.onProgress?.({ phase: phase.name, step: 'signalled', signal: first, count: newcomers, graceMs: Math.max(0, deadline - now()) });
  }

  // 3. SIGKILL for what is left, each re-read right before; a finder gets a few more rounds.
  const before = first ? `ignored ${first} for ${graceMs / 1000} s` : `still running after ${graceMs / 1000} s`;
  let killedNow = 0;
  for (const e of inStage('pending')) {
    const r = await signalIfSame(host, e.result.target, 'SIGKILL', { protect });
    if (r === 'sent') {
      set(e, 'killed', `${before}: SIGKILL`, 'killed');
      killedNow++;
    } else if (r === 'gone') set(e, 'terminated', ended);
    else if (r === 'changed') set(e, 'identity-changed', 'ended, and the pid was reused before SIGKILL: not signalled');
    else if (r === 'denied') set(e, 'denied', 'identity no longer readable or SIGKILL not permitted: SIGKILL not sent');
    else set(e, 'refused', NOT_SENT.refused('SIGKILL')[1]);
  }
  if (isFinder) {
    for (let round = 0; round < (opts.killRounds ?? 5); round++) {
      const n = await admit(await find(), 'SIGKILL');
      killedNow += n;
      if (n === 0) break;
      await host.sleep(Math.min(pollMs, 50));
    }
  }
  if (killedNow > 0) opts.onProgress?.({ phase: phase.name, step: 'escalated', count: killedNow });

  // 4. SIGKILL is not instant (the kernel tears the process down): give it a moment, then judge.
  const until = now() + (opts.killWaitMs ?? 2000);
  for (;;) {
    const killed = inStage('killed');
    if (killed.length === 0) break;
    const states = await checkMany(host, killed.map((e) => e.result.target));
    for (const e of killed) {
      const s = states.get(e.result.target.pid) ?? 'gone';
      if (s === 'gone' || s === 'changed') e.stage = 'done';
    }
    if (inStage('killed').length === 0) break;
    if (now() >= until) {
      for (const e of inStage('killed')) {
        const s = states.get(e.result.target.pid);
        if (s === 'denied') set(e, 'denied', `${e.result.detail}; identity no longer readable, fate unknown`);
        else set(e, 'survived', `${e.result.detail}; still alive ${(opts.killWaitMs ?? 2000) / 1000} s later`);
      }
      break;
    }
    await host.sleep(50);
  }
}
