// `clean`'s plan for people, by run: each run to clean with why it is dead, each target with its
// own evidence (servers and workers first, then the helpers); the runs and processes left alone,
// each with why. Shown by `clean` (and `--dry-run`) and by the demo. Then what a cleanup did.
import type { CleanupCheck, CleanupPlan, CleanupReport } from '../model/cleanup-plan.js';
import { formatArgv, truncate } from './format.js';
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
  out.push(check.gpuStillHeldBy === null ? `  GPU: not checked (${check.gpuReason ?? ''})` : check.gpuStillHeldBy.length ? s.red(`  GPU memory still held by ${check.gpuStillHeldBy.join(', ')}`) : s.green('  GPU: no target holds GPU memory'));
  out.push(report.survivors.length ? s.red(`${report.survivors.length} target${report.survivors.length === 1 ? '' : 's'} survived: ${report.survivors.join(', ')}`) : s.green(`Done: ${report.results.filter((r) => r.outcome !== 'identity-changed').length} ended, ${report.results.filter((r) => r.outcome === 'identity-changed').length} skipped (pid reused).`));
  return out.join('\n') + '\n';
}
