// `clean`'s plan for people, by run: each run to clean with why it is dead, each target with its
// own evidence (servers and workers first, then the helpers); the runs and processes left alone,
// each with why. Shown by `clean` (and `--dry-run`) and by the demo. Then what a cleanup did.
import type { CleanupCheck, CleanupPlan, CleanupReport, GpuWait, GpuWaitDevice, ShmPlan, ShmResult } from '../model/cleanup-plan.js';
import { formatArgv, formatBytes, truncate } from './format.js';
import type { Style } from './style.js';

export function renderPlan(plan: CleanupPlan, s: Style): string {
  const out: string[] = [];
  if (plan.targets.length === 0) out.push(s.green('Nothing to clean: no process of this project was left behind by a dead run.'));
  else {
    out.push(s.bold(`Plan: end ${plan.targets.length} process${plan.targets.length === 1 ? '' : 'es'}`));
    for (const r of plan.runs.filter((x) => x.decision === 'clean')) {
      const ts = plan.targets.filter((t) => t.run === r.id);
      if (ts.length === 0) continue;
      out.push(`run ${r.id} (${r.status}${r.cwd ? `, ${r.cwd}` : ''}): ${r.why}`);
      for (const phase of ['processes', 'helpers'] as const) {
        const inPhase = ts.filter((t) => t.phase === phase);
        if (inPhase.length > 0 && phase === 'helpers' && inPhase.length < ts.length) out.push(s.dim('  then, once those are gone, the helpers:'));
        for (const t of inPhase) out.push(`  ${s.bold(String(t.pid))} ${t.role ?? '?'}/${t.kind ?? '-'}${t.ports.length ? ` :${t.ports.join(' :')}` : ''}  ${truncate(formatArgv(t.argv, '?'), 90)}`, `      ${s.dim(`why: ${t.why}`)}`);
      }
    }
  }
  const left = plan.runs.filter((r) => r.decision === 'leave');
  if (left.length > 0) {
    out.push(s.bold(`Runs left alone (${left.length}):`));
    for (const r of left) out.push(`  run ${r.id} (${r.status}${r.cwd ? `, ${r.cwd}` : ''}): ${r.why}`);
  }
  // Processes of runs left alone are covered by their run's line; list the others.
  const leftRuns = new Set(left.map((r) => r.id));
  const single = plan.excluded.filter((e) => !/^run (\d+) is left alone/.exec(e.why) || !leftRuns.has(Number(/^run (\d+)/.exec(e.why)![1])));
  if (single.length > 0) {
    out.push(s.bold(`Processes left alone (${single.length}):`));
    for (const e of single) out.push(`  ${e.pid}  ${truncate(formatArgv(e.argv, '?'), 70)}`, `      ${s.dim(`why not: ${e.why}`)}`);
  }
  return out.join('\n') + '\n';
}

/** What a cleanup did, target by target, then the ports and GPU memory it was to free. */
export function renderCleanResult(report: CleanupReport, check: CleanupCheck, s: Style): string {
  const out: string[] = [];
  for (const r of report.results) {
    const color = r.outcome === 'survived' || r.outcome === 'denied' ? s.red : r.outcome === 'identity-changed' ? s.yellow : s.green;
    out.push(`  ${r.pid}: ${color(r.outcome)} (${r.detail})${r.round > 1 ? ` [round ${r.round}]` : ''}`);
  }
  for (const p of check.ports) out.push(`  :${p.port} ${p.free ? s.green('is free') : p.heldByTargets.length ? s.red(`still held by ${p.heldByTargets.join(', ')}`) : `now held by ${p.heldByOthers.join(', ')} (not a target)`}`);
  if (check.gpuWait) out.push(...renderGpuWait(check.gpuWait, s));
  else out.push(check.gpuStillHeldBy === null ? `  GPU: not checked (${check.gpuReason ?? ''})` : check.gpuStillHeldBy.length ? s.red(`  GPU memory still held by ${check.gpuStillHeldBy.join(', ')}`) : s.green('  GPU: no target holds GPU memory'));
  for (const u of check.unkillable ?? []) {
    out.push(s.red(`  ${u.pid}: unkillable: in uninterruptible sleep (${u.state}) after SIGKILL${u.sigkillPending ? ', SIGKILL pending' : ''}${u.holdsGpu ? ', still holding GPU memory' : ''}`), `      ${s.dim(`what to do: ${u.advice}`)}`);
  }
  out.push(report.survivors.length ? s.red(`${report.survivors.length} target${report.survivors.length === 1 ? '' : 's'} survived: ${report.survivors.join(', ')}`) : s.green(`Done: ${report.results.filter((r) => r.outcome !== 'identity-changed').length} ended, ${report.results.filter((r) => r.outcome === 'identity-changed').length} skipped (pid reused).`));
  return out.join('\n') + '\n';
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The wait for the GPU memory the ended targets held: back to the baseline, or still held, and by what. */
export function renderGpuWait(w: GpuWait, s: Style): string[] {
  if (w.outcome === 'unreadable') return [s.yellow(`  GPU: could not tell whether the memory was released: ${w.reason ?? 'nvidia-smi failed'}`)];
  const mem = (d: GpuWaitDevice) => (d.nowMiB === null ? 'an unknown amount' : `${d.nowMiB} MiB`);
  if (w.outcome === 'free') {
    const touched = w.devices.filter((d) => d.targetsMiB !== 0);
    return (touched.length > 0 ? touched : w.devices).map((d) =>
      s.green(d.baselineMiB !== null ? `  GPU ${d.index}: memory back to ${mem(d)} after ${secs(w.waitedMs)} (baseline ${d.baselineMiB} MiB: ${d.beforeMiB} before, ${d.targetsMiB} of it the ended processes'); the GPU is free` : `  GPU ${d.index}: the ended processes left it after ${secs(w.waitedMs)}; it uses ${mem(d)} now (how much was theirs is unknown)`),
    );
  }
  const out: string[] = [];
  if (w.stillHeldBy.length > 0) out.push(s.red(`  GPU memory still held after ${secs(w.waitedMs)} by ${w.stillHeldBy.join(', ')} (still listed by nvidia-smi or holding /dev/nvidia*)`));
  for (const d of w.devices) {
    if (d.baselineMiB !== null && d.nowMiB !== null && d.nowMiB > d.baselineMiB + w.toleranceMiB) out.push(s.red(`  GPU ${d.index}: memory still ${d.nowMiB - d.baselineMiB} MiB above its baseline (${d.nowMiB} MiB, baseline ${d.baselineMiB} MiB) after ${secs(w.waitedMs)}`));
  }
  out.push(s.dim(`      the GPU is not free yet: a rerun now gets less memory. Wait longer (--gpu-wait), or see rerun-doctor explain unkillable if a process stays`));
  return out;
}

const MAX_SHM_LINES = 20;

/** The left segments that are a dead run's (leaked, or held by one): worth a line each. */
export function shmLeftOfDeadRuns(p: ShmPlan): ShmPlan['left'] {
  return p.left.filter((l) => l.state === 'leaked' || l.state === 'held-by-dead-run');
}

/**
 * The shared-memory part of the plan: what `--shm` unlinks (or would, without it), what of the dead
 * runs' segments is left and why; segments live processes use are counted in one line.
 */
export function renderShmPlan(p: ShmPlan, s: Style): string {
  if (p.status !== 'ok') return `${s.dim(`Shared memory: not read (${p.reason ?? p.status})`)}\n`;
  const out: string[] = [];
  const usage = p.usage ? `, ${p.usage.percent}% full (${formatBytes(p.usage.usedBytes)} of ${formatBytes(p.usage.totalBytes)})` : '';
  const total = p.targets.reduce((n, t) => n + t.bytes, 0);
  if (p.targets.length === 0) out.push(`Shared memory (${p.dir}${usage}): nothing of a dead run to remove.`);
  else {
    const what = `${p.targets.length} segment${p.targets.length === 1 ? '' : 's'} (${formatBytes(total)})`;
    out.push(p.enabled ? s.bold(`Plan: unlink ${what} in ${p.dir}${usage}`) : `Shared memory (${p.dir}${usage}): ${what} of dead runs, left as they are: ${s.bold('clean --shm')} unlinks them`);
    for (const t of p.targets.slice(0, MAX_SHM_LINES)) {
      out.push(`  ${s.bold(t.name)} ${t.kind} ${formatBytes(t.bytes)} uid ${t.uid}${t.runs.length ? ` run ${t.runs.join(', ')}` : ''}${t.after.length ? ` (once ${t.after.join(', ')} ${t.after.length === 1 ? 'is' : 'are'} ended)` : ''}`, `      ${s.dim(`why: ${t.why}`)}`);
    }
    if (p.targets.length > MAX_SHM_LINES) out.push(s.dim(`  and ${p.targets.length - MAX_SHM_LINES} more (--json lists them all)`));
  }
  const ofDead = shmLeftOfDeadRuns(p);
  if (ofDead.length > 0) {
    out.push(s.bold(`Segments of dead runs left alone (${ofDead.length}):`));
    for (const l of ofDead.slice(0, MAX_SHM_LINES)) out.push(`  ${l.name} ${l.kind} ${formatBytes(l.bytes)} uid ${l.uid}`, `      ${s.dim(`why not: ${l.why}`)}`);
    if (ofDead.length > MAX_SHM_LINES) out.push(s.dim(`  and ${ofDead.length - MAX_SHM_LINES} more (--json lists them all)`));
  }
  // Not judged leaked (a live run may own them, or not every holder is in view): one line.
  const doubt = p.left.filter((l) => !ofDead.includes(l));
  if (doubt.length > 0) out.push(s.dim(`${doubt.length} segment${doubt.length === 1 ? '' : 's'} (${formatBytes(doubt.reduce((n, l) => n + l.bytes, 0))}) that nothing in view holds left alone, not judged leaked: ${doubt[0]!.why}${doubt.length > 1 ? ' (and the like; --json lists them)' : ''}`));
  if (p.inUse.count > 0) out.push(s.dim(`${p.inUse.count} segment${p.inUse.count === 1 ? '' : 's'} (${formatBytes(p.inUse.bytes)}) in use by live processes: left alone.`));
  return out.join('\n') + '\n';
}

/** What `clean --shm` did to each segment. */
export function renderShmResult(results: ShmResult[], s: Style): string {
  const out: string[] = [];
  for (const r of results) {
    const color = r.outcome === 'unlinked' || r.outcome === 'already-gone' ? s.green : r.outcome === 'denied' || r.outcome === 'failed' ? s.red : s.yellow;
    out.push(`  ${r.name}: ${color(r.outcome)} (${r.detail})`);
  }
  const freed = results.filter((r) => r.outcome === 'unlinked').reduce((n, r) => n + r.bytes, 0);
  const kept = results.filter((r) => r.outcome !== 'unlinked' && r.outcome !== 'already-gone').length;
  out.push((kept > 0 ? s.yellow : s.green)(`Shared memory: ${results.filter((r) => r.outcome === 'unlinked').length} unlinked (${formatBytes(freed)}), ${results.filter((r) => r.outcome === 'already-gone').length} already gone${kept > 0 ? `, ${kept} left (see above)` : ''}.`));
  return out.join('\n') + '\n';
}
