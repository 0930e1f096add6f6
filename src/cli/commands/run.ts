import { createRunFinder, needsTracking, trackRun } from '../../actions/process-control.js';
import { describeLeftovers, endRun, exitStatus, forwardSignals, leaderRef, newRunId, startMarked, startWatchdog } from '../../actions/supervise.js';
import { pythonGuardDir, pythonGuardEnv, pythonGuardShipped } from '../../actions/python-guard.js';
import { createHost } from '../../host/host.js';
import { cleanedLine } from '../../render/supervise.js';
import { defineCommand } from '../command-spec.js';
import { parseDuration } from '../duration.js';
import { checkCommand, EXIT, spawnFailure, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'run',
  usage: ['run [--grace D] [--python-guard] -- CMD…'],
  about: `Runs CMD so that its whole process tree dies with it. CMD gets its own process group and the
environment variable RERUN_DOCTOR_RUN_ID, which every descendant inherits (also one that called
setsid or double-forked). SIGINT, SIGTERM and SIGHUP are forwarded to the group. When CMD exits,
or rerun-doctor is stopped, every process of the run still alive gets SIGTERM, then SIGKILL after
--grace. A watchdog process does the same within about 2 s if rerun-doctor itself is killed.
On macOS the variable cannot be read back: the run is CMD's process group and its descendants,
watched while CMD runs, so a double-forked daemon escapes there (docs/run-guard.md, Limits).
With --python-guard, every Python process of the run also watches the process that started it
and exits about 1 s after it dies (RERUN_DOCTOR_GUARD_GRACE), even if rerun-doctor and its
watchdog are both killed, and on macOS too (docs/prevention.md).`,
  flags: {
    grace: { type: 'string', value: 'D', help: 'between SIGTERM and SIGKILL', defaultText: '5s' },
    'python-guard': { type: 'boolean', help: "load rerun-doctor's parent-death guard into every Python process of the run (sitecustomize on PYTHONPATH, RERUN_DOCTOR_GUARD=1)" },
  },
  common: false,
  positionals: { command: true },
  examples: [
    { run: 'rerun-doctor run -- python -m src.main', does: 'your server, as usual; when it stops, nothing it started outlives it' },
    { run: 'rerun-doctor run --grace 15s -- python -m src.main --workers 4', does: 'give the workers 15 s to finish before SIGKILL' },
    { run: 'rerun-doctor run -- bash start.sh', does: 'a start script: everything it launches is ended with it' },
    { run: 'rerun-doctor run --python-guard -- python -m src.main', does: 'and every Python worker exits by itself when the process that started it dies' },
  ],
  exit: `Exit status: CMD's own (128 + the signal's number when a signal ended it); 2 for a usage error;
127 when CMD is not found, 126 when it is not executable (as a shell says it), with nothing started.
One line on stderr says what was ended, if anything.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('run: expected the command after --, e.g. rerun-doctor run -- python -m src.main');
  const graceMs = parseDuration(values.grace ?? '5s', '--grace', { minMs: 0 });
  // Said before anything starts (the watchdog too), as a shell says it: 127 not found, 126 not executable.
  checkCommand(positionals, { cwd: io.cwd, env: io.env, shell: true });
  if (values['python-guard'] && !pythonGuardShipped()) throw new UsageError(`run: --python-guard: the guard is missing from this installation (expected ${pythonGuardDir()}/sitecustomize.py)`);
  const env = values['python-guard'] ? pythonGuardEnv(io.env) : io.env;
  const host = createHost({ env: io.env });
  const runId = newRunId();

  // The watchdog first: there is no moment at which the command runs unwatched.
  const watchdog = await startWatchdog(host, runId, io.env, graceMs);
  let started;
  try {
    started = await startMarked(positionals, { cwd: io.cwd, env, runId });
  } catch (e) {
    watchdog.release();
    throw spawnFailure(positionals[0]!, e, { shell: true });
  }
  const leader = await leaderRef(host, started);
  watchdog.setGroup(started.pid, leader);
  const finder = createRunFinder(host, { runId, leader, pgid: started.pid }, { onFound: (refs) => watchdog.remember(refs) });
  // Where the marker cannot be read back (macOS), the run is watched while it lives.
  const tracker = needsTracking(host) ? trackRun(host, finder) : null;

  // A stop signal is forwarded; if CMD has not exited a grace period later, the sweep goes ahead
  // (with SIGKILL at once: the command already had its grace).
  let stopTimer: NodeJS.Timeout | undefined;
  let resolveStop: (v: null) => void = () => undefined;
  const stop = new Promise<null>((resolve) => (resolveStop = resolve));
  // Kept until the sweep is over: an uncaught SIGINT would otherwise end us mid-sweep.
  const removeForwarders = forwardSignals(host, started, () => {
    stopTimer ??= setTimeout(() => resolveStop(null), graceMs);
  });
  const outcome = await Promise.race([started.exited, stop]);
  clearTimeout(stopTimer);
  await tracker?.stop();

  const find = () => finder.sweep();
  const before = describeLeftovers(await find(), started.pid);
  const { ended, killed, notEnded } = await endRun(host, find, outcome === null ? 0 : graceMs);
  // Described as found before the sweep: SIGTERMs re-parent children, which would blur "orphaned".
  const leftovers = describeLeftovers(ended, started.pid).map((l) => before.find((b) => b.pid === l.pid && b.startKey === l.startKey) ?? l);
  const final = outcome ?? (await started.exited);
  removeForwarders();
  watchdog.release();
  if (leftovers.length > 0 || notEnded.length > 0) io.stderr(cleanedLine('rerun-doctor run', leftovers, killed.length, notEnded));
  return exitStatus(final.code, final.signal);
}
