import { parseArgs } from 'node:util';
import { executeCleanup } from '../../actions/execute-cleanup.js';
import { planCleanup, type CleanupPlan } from '../../actions/plan-cleanup.js';
import { takeCensus } from '../../census/census.js';
import { ancestry } from '../../census/classify.js';
import { gather } from '../../diagnosis/gather.js';
import { collectGpu } from '../../probes/gpu.js';
import { formatArgv, truncate } from '../../render/format.js';
import { makeStyle, type Style } from '../../render/style.js';
import { diagnose } from '../../rules/diagnose.js';
import { COMMON_OPTIONS, makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';

export const help = `Usage: rerun-doctor clean [--dry-run | --yes] [--grace 5s] [--all-users] [options]

Ends what the last runs left behind, and nothing else: the processes the diagnosis attributes to
orphaned servers, orphaned workers and helpers, and leaked runs. It shows the plan first (each
target and why it is in; each related-looking process that stays out and why), asks on a
terminal, and needs --yes otherwise. Each target's identity (pid, start time) is read again right
before every signal and the target is skipped on any mismatch (a reused pid). SIGTERM first, then
SIGKILL for survivors after --grace; then it checks that they are gone, which ports they held
are free, and whether GPU memory was released.

Never signalled: pid 1, rerun-doctor itself and its parents, zombies (their parent must reap
them), a running server and its workers, and other users' processes (unless root with --all-users).

Options:
  --dry-run              show the plan and stop
  --yes                  do it without asking (needed when not on a terminal)
  --grace D              between SIGTERM and SIGKILL (default 5s)
  --all-users            as root, include other users' processes
  --port P, --server-pattern RE, --worker-pattern RE, --config FILE, --proc-root DIR   as for \`procs\`

Exit status: 0 everything targeted is gone (or nothing to do), 1 something survived, 2 usage error.
`;

function renderPlan(plan: CleanupPlan, s: Style): string {
  const out: string[] = [];
  if (plan.targets.length === 0) out.push(s.green('Nothing to clean: no process is attributed to a dead run.'));
  else {
    out.push(s.bold(`Plan: end ${plan.targets.length} process${plan.targets.length === 1 ? '' : 'es'}`));
    for (const t of plan.targets) out.push(`  ${s.bold(String(t.pid))} ${t.role ?? '?'}/${t.kind ?? '-'}${t.ports.length ? ` :${t.ports.join(' :')}` : ''}  ${truncate(formatArgv(t.argv, '?'), 90)}`, `      ${s.dim(`why: ${t.why}`)}`);
  }
  if (plan.excluded.length > 0) {
    out.push(s.bold(`Left alone (${plan.excluded.length}):`));
    for (const e of plan.excluded) out.push(`  ${e.pid}  ${truncate(formatArgv(e.argv, '?'), 70)}`, `      ${s.dim(`why not: ${e.why}`)}`);
  }
  return out.join('\n') + '\n';
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON_OPTIONS, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, grace: { type: 'string' }, 'all-users': { type: 'boolean' } }, strict: true });
  if (values.help) {
    io.stdout(help);
    return EXIT.ok;
  }
  // Signals go to pids of this machine's namespace: a plan made from another /proc could hit the wrong process.
  if (values['proc-root'] !== undefined) throw new UsageError('clean: --proc-root cannot be used: clean signals processes of this machine, and pids read from another /proc may name others here');
  const graceMs = parseDuration(values.grace ?? '5s', '--grace', { minMs: 0 });
  const ctx = makeContext(values, io);
  const s = makeStyle(useColor(io));
  const { input, census } = await gather(ctx, { samples: 1, intervalMs: 0, metricsUrl: ctx.config.metricsUrl, metrics: false, scrape: {} });
  const diagnosis = diagnose(input);
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const plan = planCleanup(census, diagnosis, {
    selfPid: ctx.host.selfPid,
    ancestors: ancestry(ctx.host.selfPid, byPid).map((a) => a.pid),
    uid,
    allUsers: values['all-users'] === true,
    sudoUid: io.env.SUDO_UID && /^\d+$/.test(io.env.SUDO_UID) ? Number(io.env.SUDO_UID) : null,
  });
  if (ctx.json && (values['dry-run'] || plan.targets.length === 0)) {
    io.stdout(JSON.stringify({ schemaVersion: 1, plan, report: null }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (!ctx.json) io.stdout(renderPlan(plan, s));
  if (values['dry-run'] || plan.targets.length === 0) return EXIT.ok;
  if (!values.yes) {
    if (!io.stdinIsTTY || !io.isTTY || !io.ask) throw new UsageError('clean: not on a terminal: pass --yes to end the processes above, or --dry-run to only see the plan');
    const answer = await io.ask(`End these ${plan.targets.length} processes? [y/N] `);
    if (!answer || !/^y(es)?$/i.test(answer.trim())) {
      io.stdout('Nothing done.\n');
      return EXIT.ok;
    }
  }
  const report = await executeCleanup(ctx.host, plan, { graceMs, progress: (l) => (ctx.json ? undefined : io.stdout(`${l}\n`)) });
  // Verify: processes gone (above), the ports they held, GPU memory.
  const after = await takeCensus(ctx.host, ctx.classify);
  const targetPids = new Set(plan.targets.map((t) => t.pid));
  const ports = [...new Set(plan.targets.flatMap((t) => t.ports))].map((port) => {
    const holders = after.snapshot.sockets.filter((x) => x.port === port).flatMap((x) => x.owners.map((o) => o.pid));
    const stale = holders.filter((p) => targetPids.has(p));
    return { port, free: holders.length === 0, heldByTargets: stale, heldByOthers: holders.filter((p) => !targetPids.has(p)) };
  });
  const gpu = await collectGpu(ctx.host, { pids: [...targetPids] });
  const gpuHeld = gpu.status === 'ok' ? gpu.value.processes.filter((p) => targetPids.has(p.pid)).map((p) => p.pid) : null;
  if (ctx.json) {
    io.stdout(JSON.stringify({ schemaVersion: 1, plan, report, ports, gpuStillHeldBy: gpuHeld }, null, 2) + '\n');
  } else {
    const out: string[] = [];
    for (const r of report.results) {
      const color = r.outcome === 'survived' || r.outcome === 'denied' ? s.red : r.outcome === 'identity-changed' ? s.yellow : s.green;
      out.push(`  ${r.pid}: ${color(r.outcome)} (${r.detail})`);
    }
    for (const p of ports) out.push(`  :${p.port} ${p.free ? s.green('is free') : p.heldByTargets.length ? s.red(`still held by ${p.heldByTargets.join(', ')}`) : `now held by ${p.heldByOthers.join(', ')} (not a target)`}`);
    out.push(gpuHeld === null ? `  GPU: not checked (${gpu.status === 'ok' ? '' : gpu.reason})` : gpuHeld.length ? s.red(`  GPU memory still held by ${gpuHeld.join(', ')}`) : s.green('  GPU: no target holds GPU memory'));
    out.push(report.survivors.length ? s.red(`${report.survivors.length} target${report.survivors.length === 1 ? '' : 's'} survived: ${report.survivors.join(', ')}`) : s.green(`Done: ${report.results.filter((r) => r.outcome !== 'identity-changed').length} ended, ${report.results.filter((r) => r.outcome === 'identity-changed').length} skipped (pid reused).`));
    io.stdout(out.join('\n') + '\n');
  }
  return report.survivors.length > 0 ? EXIT.findings : EXIT.ok;
}
