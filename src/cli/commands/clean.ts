import { checkCleanup, executeCleanup } from '../../actions/execute-cleanup.js';
import { GPU_WAIT_DEFAULT_MS, gpuPidsToWaitFor, waitForGpuRelease } from '../../actions/gpu-wait.js';
import { executeShm } from '../../actions/execute-shm.js';
import { cleanupOptions, planCleanup } from '../../actions/plan-cleanup.js';
import { planShm } from '../../actions/plan-shm.js';
import { censusFailure, takeCensus } from '../../census/census.js';
import type { ShmPlan, ShmResult } from '../../model/cleanup-plan.js';
import { collectGpu } from '../../probes/gpu.js';
import { collectShm, SHM_UNAVAILABLE_DARWIN } from '../../probes/shm.js';
import { renderCleanResult, renderPlan, renderShmPlan, renderShmResult, shmLeftOfDeadRuns } from '../../render/clean-plan.js';
import { cleanJson } from '../../render/json.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { COLOR_FLAGS } from '../shared-flags.js';
import { textWriter } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { ruleSettingsOf } from '../rule-settings.js';

export const spec = defineCommand({
  name: 'clean',
  usage: ['clean [--dry-run | --yes] [--shm] [--grace 5s] [--gpu-wait 15s] [--include-detached] [--pid N]… [--all-projects] [--all-users] [options]'],
  about: `Ends what dead runs of this project left behind, and nothing else. A run is dead when nothing
that started it is alive (judged by evidence: docs/attribution.md); \`clean\` ends the whole dead
run (the orphaned server's subtree and its setsid'd kin), servers and workers first, then the
resource tracker, after giving it its grace to unlink what it tracks. It shows the plan first
(each target and why; each run and process left alone and why), asks on a terminal, and needs
--yes otherwise. Each target's identity (pid, start time) is read again right before every
signal and the target is skipped on any mismatch (a reused pid). SIGTERM first, then SIGKILL for
survivors after --grace; then it takes the census again and ends what the dead runs still hold
(a process forked meanwhile), and checks that the ports they held are free and whether GPU
memory was released: when a target held GPU memory (NVIDIA), it waits up to --gpu-wait until
the ended pids have left nvidia-smi (and /dev/nvidia*) and each GPU's memory is back to its
baseline (what it used before, minus what the targets held) before saying the GPU is free. A
target that survives SIGKILL in uninterruptible sleep (D) is reported as unkillable, with the
GPU reset to use instead of more signals.

Shared memory (Linux): the plan also lists the segments in /dev/shm (psm_*, torch_*, sem.mp-*,
nccl*) that the dead runs left and no live process holds; --shm unlinks them once the processes
are ended, each judged again right before (nothing holds or maps it, every process that could is
in view, the same file): never a mapped one. Without --shm, no segment is touched. Segments of a
run no process is left of (nothing tells whose project it was) need --all-projects too.

Left alone: every running run (something that started it is alive: a shell, an IDE, tini, a
daemon), detached runs (a server whose launcher is gone, with nothing newer of the project
beside it: it may run on purpose, as with nohup), other projects' runs, pid 1, rerun-doctor
itself and its parents, zombies (their parent must reap them), other users' processes.

The project is the directory of the config file, or the current directory (or --project).
--proc-root cannot be used: clean signals processes of this machine.`,
  flags: {
    'dry-run': { type: 'boolean', help: 'show the plan and stop' },
    yes: { type: 'boolean', short: 'y', help: 'do it without asking (needed when not on a terminal)' },
    grace: { type: 'string', value: 'D', help: "between SIGTERM and SIGKILL, and a helper's time to exit", defaultText: '5s' },
    'include-detached': { type: 'boolean', help: 'end detached runs too (you stopped your server; its launcher is gone)' },
    pid: { type: 'string', value: 'N', multiple: true, help: 'end the dead run that holds pid N, whatever its project or status (repeatable); a running run is never ended' },
    'all-projects': { type: 'boolean', help: 'dead runs of other projects too' },
    'all-users': { type: 'boolean', help: "as root, include other users' processes" },
    shm: { type: 'boolean', help: 'also unlink the shared-memory segments (/dev/shm) of the dead runs that no live process holds' },
    'gpu-wait': { type: 'string', value: 'D', help: 'after ending processes that held GPU memory (NVIDIA), wait up to D until they leave nvidia-smi and the memory is back to its baseline (0: do not wait)', defaultText: '15s' },
    ...COLOR_FLAGS,
  },
  common: true,
  examples: [
    { run: 'rerun-doctor clean --dry-run --shm', does: 'the plan: what would be ended (and with --shm, unlinked) and why, what is left alone and why' },
    { run: 'rerun-doctor clean', does: 'the plan, then ask before ending anything (on a terminal)' },
    { run: 'rerun-doctor clean --yes --include-detached --grace 10s', does: 'without asking, detached runs too, with 10 s to exit before SIGKILL' },
    { run: 'rerun-doctor clean --yes --pid 4242 --json', does: 'the dead run that holds pid 4242, the plan and report as JSON (docs/clean.md)' },
  ],
  exit: `Exit status: 0 everything targeted is gone (or nothing to do), 1 something survived (or a
segment could not be unlinked: denied, failed; or GPU memory the targets held was still held
when --gpu-wait ran out), 2 usage error.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (values.yes && values['dry-run']) throw new UsageError('clean: --yes and --dry-run conflict: --dry-run only shows the plan, --yes ends what it lists; pass one');
  // Signals go to pids of this machine's namespace: a plan made from another /proc could hit the wrong process.
  if (values['proc-root'] !== undefined) throw new UsageError(`clean: --proc-root "${values['proc-root']}" cannot be used: clean signals processes of this machine, and pids read from another /proc may name others here`);
  const graceMs = parseDuration(values.grace ?? '5s', '--grace', { minMs: 0 });
  const gpuWaitMs = values['gpu-wait'] === undefined ? GPU_WAIT_DEFAULT_MS : parseDuration(values['gpu-wait'], '--gpu-wait', { minMs: 0 });
  const pids = (values.pid ?? []).map((v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) throw new UsageError(`--pid "${v}" is not a process id: expected an integer 1-2147483647`);
    return n;
  });
  const ctx = makeContext(values, io);
  const shmWanted = values.shm === true;
  if (shmWanted && ctx.host.platform === 'darwin') throw new UsageError(`clean --shm: ${SHM_UNAVAILABLE_DARWIN}`);
  // The judgement is shm-leak's: its options (rules."shm-leak".options in the config) apply here too.
  const slack = ruleSettingsOf(ctx, io)['shm-leak']?.options.runSlackSeconds;
  const runSlackSeconds = typeof slack === 'number' ? slack : undefined;
  const s = makeStyle(useColor(io, values));
  // Text for people, fitted to the terminal's width (the plan, the progress, the result).
  const say = ctx.json ? io.stdout : await textWriter(io);
  const options = (census: Parameters<typeof cleanupOptions>[0]) => cleanupOptions(census, ctx.host, { allUsers: values['all-users'] === true, includeDetached: values['include-detached'] === true, allProjects: values['all-projects'] === true, pids });
  const censusNow = async () => {
    const census = await takeCensus(ctx.host, ctx.classify);
    const failure = censusFailure(census);
    // Without the process list nothing can be judged: say so, never "nothing to clean".
    if (failure) throw new UsageError(failure);
    return census;
  };
  const makePlan = async () => {
    const census = await censusNow();
    return planCleanup(census, options(census));
  };
  const census = await censusNow();
  const opts = options(census);
  const plan = planCleanup(census, opts);
  // Read on Linux with or without --shm: without it the plan mentions them and touches none.
  let shmPlan: ShmPlan | null = null;
  if (ctx.host.platform === 'linux') {
    shmPlan = planShm(await collectShm(ctx.host), census, plan, { enabled: shmWanted, allProjects: opts.allProjects === true, uid: opts.uid, sudoUid: opts.sudoUid, allUsers: opts.allUsers, runSlackSeconds, dir: ctx.host.shm.root });
  }
  const shmTargets = shmWanted && shmPlan ? shmPlan.targets : [];
  // A pid the user named that is not left behind is an answer, not a silent no-op.
  for (const pid of pids) {
    if (plan.targets.some((t) => t.pid === pid)) continue;
    const why = plan.excluded.find((e) => e.pid === pid)?.why ?? 'not found';
    if (!ctx.json) io.stderr(`rerun-doctor clean: --pid ${pid} is not ended: ${why}\n`);
  }
  const nothing = plan.targets.length === 0 && shmTargets.length === 0;
  if (ctx.json && (values['dry-run'] || nothing)) {
    io.stdout(JSON.stringify(cleanJson({ plan, shm: shmPlan, report: null }), null, 2) + '\n');
    return EXIT.ok;
  }
  if (!ctx.json) say(renderPlan(plan, s) + (shmPlan && (shmPlan.targets.length > 0 || shmLeftOfDeadRuns(shmPlan).length > 0 || shmWanted) ? renderShmPlan(shmPlan, s) : ''));
  if (values['dry-run'] || nothing) return EXIT.ok;
  if (!values.yes) {
    const what = [plan.targets.length > 0 ? `end these ${plan.targets.length} processes` : '', shmTargets.length > 0 ? `unlink these ${shmTargets.length} segments` : ''].filter(Boolean).join(' and ');
    const above = [plan.targets.length > 0 ? 'end the processes' : '', shmTargets.length > 0 ? 'unlink the segments' : ''].filter(Boolean).join(' and ');
    if (!io.stdinIsTTY || !io.isTTY || !io.ask) throw new UsageError(`clean: not on a terminal: pass --yes to ${above} above, or --dry-run to only see the plan`);
    const answer = await io.ask(`${what[0]!.toUpperCase()}${what.slice(1)}? [y/N] `);
    if (!answer || !/^y(es)?$/i.test(answer.trim())) {
      say('Nothing done.\n');
      return EXIT.ok;
    }
  }
  const progress = (l: string) => (ctx.json ? undefined : say(`${l}\n`));
  // GPU memory the targets hold now (NVIDIA only, and only to wait for it afterwards): the baseline.
  const gpuBefore = plan.targets.length > 0 && gpuWaitMs > 0 && ctx.host.platform === 'linux' ? await collectGpu(ctx.host, { pids: plan.targets.map((t) => t.pid) }) : null;
  const report = plan.targets.length > 0 ? await executeCleanup(ctx.host, plan, { graceMs, progress, replan: makePlan }) : null;
  // Then the GPU: wait (bounded) until the driver has let go of what the ended targets held.
  const ended = report ? report.results.filter((r) => r.outcome !== 'identity-changed').map((r) => r.pid) : [];
  const waitFor = gpuBefore?.status === 'ok' ? gpuPidsToWaitFor(gpuBefore.value, ended) : [];
  const gpuWait = gpuBefore?.status === 'ok' && waitFor.length > 0 ? await waitForGpuRelease(ctx.host, gpuBefore.value, waitFor, { boundMs: gpuWaitMs, progress }) : null;
  // Verify: processes gone (above), the ports they held, GPU memory.
  const check = report ? { ...(await checkCleanup(ctx.host, ctx.classify, plan, report)), gpuWait } : null;
  // Then the segments, each judged again now that the processes are gone.
  const shmResults: ShmResult[] | null = shmTargets.length > 0 ? await executeShm(ctx.host, shmTargets, { classify: ctx.classify, runSlackSeconds, progress }) : null;
  if (ctx.json) io.stdout(JSON.stringify(cleanJson({ plan, shm: shmPlan, report, shmResults, ports: check?.ports, gpuStillHeldBy: check?.gpuStillHeldBy, gpuWait: check?.gpuWait ?? null, unkillable: check?.unkillable ?? [] }), null, 2) + '\n');
  else say((report && check ? renderCleanResult(report, check, s) : '') + (shmResults ? renderShmResult(shmResults, s) : ''));
  const shmFailed = (shmResults ?? []).some((r) => r.outcome === 'denied' || r.outcome === 'failed');
  const gpuHeld = check?.gpuWait?.outcome === 'still-held';
  return (report?.survivors.length ?? 0) > 0 || shmFailed || gpuHeld ? EXIT.findings : EXIT.ok;
}
