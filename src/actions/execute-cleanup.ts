// Carrying out a cleanup plan with the one TERM → grace → KILL policy (process-control.ts):
// servers, workers and launchers first (SIGTERM, --grace, SIGKILL for survivors), then the
// helpers, which first get --grace to exit by themselves (the resource tracker unlinks its run's
// shared memory and semaphores once the others are gone, and ignores SIGTERM) before SIGKILL.
// Every signal is preceded by a fresh read of the target's identity (pid + start time): a pid that
// now belongs to another process is skipped (PID reuse; anchors.md §2.2). Then the census is
// taken again and what the dead runs still hold (a process forked meanwhile) is planned and ended
// the same way, for a few rounds.
import { takeCensus } from '../census/census.js';
import type { ClassifyOptions } from '../census/classify.js';
import type { Host } from '../host/host.js';
import { collectGpu } from '../probes/gpu.js';
import { describeProgress, terminatePhases, type TerminateOutcome } from './process-control.js';
import type { CleanupCheck, CleanupPlan, CleanupReport, Target, TargetResult, Unkillable } from '../model/cleanup-plan.js';
import { unkillableAdvice, type GpuEvidence } from '../model/gpu.js';
import type { Outcome } from '../model/outcome.js';
import { sigkillPending, type ProcessInfo } from '../model/snapshot.js';

export type { CleanupReport, TargetResult } from '../model/cleanup-plan.js';

export type TargetOutcome = TerminateOutcome;

export interface ExecuteOptions {
  graceMs: number;
  progress?: (line: string) => void;
  /** Takes the census again and plans again; what it plans that was not handled yet is the next round. */
  replan?: () => Promise<CleanupPlan>;
  maxRounds?: number;
}

const key = (t: Pick<Target, 'pid' | 'startKey'>) => `${t.pid}@${t.startKey}`;

export async function executeCleanup(host: Host, plan: CleanupPlan, o: ExecuteOptions): Promise<CleanupReport> {
  const results: TargetResult[] = [];
  const seen = new Set<string>();
  let targets = plan.targets;
  let rounds = 0;
  const maxRounds = o.maxRounds ?? 3;
  while (targets.length > 0 && rounds < maxRounds) {
    rounds++;
    for (const t of targets) seen.add(key(t));
    if (rounds > 1) o.progress?.(`round ${rounds}: ${targets.length} more process${targets.length === 1 ? '' : 'es'} of the dead runs found`);
    const report = await terminatePhases(
      host,
      [
        { name: '', source: targets.filter((t) => t.phase === 'processes') },
        // null: no first signal; the helpers get the grace period to exit by themselves, then SIGKILL.
        { name: 'helpers', source: targets.filter((t) => t.phase === 'helpers'), firstSignal: null },
      ],
      {
        graceMs: o.graceMs,
        onProgress: (p) => {
          if (p.step !== 'escalated' && p.count === 0) return;
          o.progress?.(p.phase === 'helpers' && p.step === 'waiting' ? `waiting up to ${p.graceMs / 1000} s for ${p.count} helper${p.count === 1 ? '' : 's'} to exit by themselves (a resource tracker unlinks what its run leaked)` : describeProgress(p));
        },
      },
    );
    for (const r of report.results) {
      // A helper gone by the time its phase starts did what it is given the grace for: it exited
      // by itself once the rest of its run was gone (the tracker reads EOF on its pipe).
      const byItself = r.phase === 'helpers' && (r.outcome === 'terminated' || r.outcome === 'already-gone');
      results.push({ pid: r.target.pid, outcome: byItself ? 'terminated' : r.outcome, detail: byItself ? 'exited by itself once its run was gone' : r.detail, round: rounds });
    }
    if (!o.replan) break;
    const next = await o.replan();
    targets = next.targets.filter((t) => !seen.has(key(t)));
  }
  const survivors = results.filter((r) => r.outcome === 'survived' || r.outcome === 'denied' || r.outcome === 'refused').map((r) => r.pid);
  return { results, survivors, rounds };
}

export async function checkCleanup(host: Host, classify: ClassifyOptions, plan: CleanupPlan, report: CleanupReport): Promise<CleanupCheck> {
  const after = await takeCensus(host, classify);
  const targetPids = new Set(report.results.map((t) => t.pid));
  const ports = [...new Set(plan.targets.flatMap((t) => t.ports))].sort((a, b) => a - b).map((port) => {
    const holders = after.snapshot.sockets.filter((x) => x.port === port).flatMap((x) => x.owners.map((o) => o.pid));
    return { port, free: holders.length === 0, heldByTargets: holders.filter((p) => targetPids.has(p)), heldByOthers: holders.filter((p) => !targetPids.has(p)) };
  });
  const gpu = await collectGpu(host, { pids: [...targetPids] });
  const unkillable = unkillableOf(report, after.snapshot.processes, gpu);
  return gpu.status === 'ok'
    ? // A target nvidia-smi still lists once it is gone from /proc (the driver has not let go) is in unseenProcesses: it counts.
      { ports, gpuStillHeldBy: [...new Set([...gpu.value.processes, ...(gpu.value.unseenProcesses ?? [])].filter((p) => targetPids.has(p.pid)).map((p) => p.pid))].sort((a, b) => a - b), gpuReason: null, unkillable }
    : { ports, gpuStillHeldBy: null, gpuReason: gpu.reason, unkillable };
}

/**
 * The targets that survived SIGKILL and are in uninterruptible sleep (D) now: a signal reaches a
 * process in D only when the kernel call it sleeps in returns, so the kernel or the driver holds it
 * (with a GPU: the reset advice, never more signals). Pure, for the tests.
 */
export function unkillableOf(report: CleanupReport, processes: ProcessInfo[], gpu: Outcome<GpuEvidence>): Unkillable[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const out: Unkillable[] = [];
  for (const r of report.results) {
    if (r.outcome !== 'survived') continue;
    const p = byPid.get(r.pid);
    if (!p || p.state !== 'D') continue;
    const gp = gpu.status === 'ok' ? gpu.value.processes.find((x) => x.pid === r.pid) : undefined;
    const holdsGpu = gpu.status === 'ok' ? gp !== undefined : null;
    const devices = gpu.status === 'ok' ? gpu.value.devices : [];
    const id = gp?.gpuUuid ?? (devices.length === 1 ? (devices[0]!.uuid ?? String(devices[0]!.index)) : null);
    out.push({ pid: r.pid, state: p.state, sigkillPending: sigkillPending(p.sigPnd, p.shdPnd), holdsGpu, gpu: holdsGpu ? id : null, advice: unkillableAdvice(id, holdsGpu) });
  }
  return out;
}
