import { parseArgs } from 'node:util';
import { cleanedLine, describeLeftovers, endRun, exitStatus, findRunProcesses, forwardSignals, newRunId, startMarked, startWatchdog } from '../../actions/supervise.js';
import { createHost } from '../../host/host.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';

export const help = `Usage: rerun-doctor run [--grace D] -- CMD…

Runs CMD so that its whole process tree dies with it. CMD gets its own process group and the
environment variable RERUN_DOCTOR_RUN_ID, which every descendant inherits (also one that called
setsid or double-forked). SIGINT, SIGTERM and SIGHUP are forwarded to the group. When CMD exits,
or rerun-doctor is stopped, every process of the run still alive gets SIGTERM, then SIGKILL after
--grace. A watchdog process does the same within about 2 s if rerun-doctor itself is killed.

Options:
  --grace D     between SIGTERM and SIGKILL (default 5s)

Exit status: CMD's own (128 + the signal's number when a signal ended it); 2 for a usage error
or when CMD could not be started. One line on stderr says what was ended, if anything.
On macOS signals are forwarded and the exit code passes through, but leftovers are not found
(no /proc/PID/environ there; docs/run-guard.md, Limits).
`;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { grace: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout(help);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('run: expected the command after --, e.g. rerun-doctor run -- python -m src.main');
  const graceMs = parseDuration(values.grace ?? '5s', '--grace', { minMs: 0 });
  const host = createHost({ env: io.env });
  const runId = newRunId();

  // The watchdog first: there is no moment at which the command runs unwatched.
  const watchdog = startWatchdog(host, runId, io.env, graceMs);
  let started;
  try {
    started = await startMarked(positionals, { cwd: io.cwd, env: io.env, runId });
  } catch (e) {
    watchdog.release();
    io.stderr(`rerun-doctor run: cannot start ${positionals[0]}: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  watchdog.setGroup(started.pid);

  // A stop signal is forwarded; if CMD has not exited a grace period later, the sweep goes ahead
  // (with SIGKILL at once: the command already had its grace).
  let stopTimer: NodeJS.Timeout | undefined;
  let resolveStop: (v: null) => void = () => undefined;
  const stop = new Promise<null>((resolve) => (resolveStop = resolve));
  // Kept until the sweep is over: an uncaught SIGINT would otherwise end us mid-sweep.
  const removeForwarders = forwardSignals(started, () => {
    stopTimer ??= setTimeout(() => resolveStop(null), graceMs);
  });
  const outcome = await Promise.race([started.exited, stop]);
  clearTimeout(stopTimer);

  const find = () => findRunProcesses(host, runId, started.pid);
  const before = describeLeftovers(find(), started.pid);
  const { ended, killed } = await endRun(host, find, outcome === null ? 0 : graceMs);
  // Described as found before the sweep: SIGTERMs re-parent children, which would blur "orphaned".
  const leftovers = describeLeftovers(ended, started.pid).map((l) => before.find((b) => b.pid === l.pid && b.startKey === l.startKey) ?? l);
  const final = outcome ?? (await started.exited);
  removeForwarders();
  watchdog.release();
  if (leftovers.length > 0) io.stderr(cleanedLine('rerun-doctor run', leftovers, killed.length));
  return exitStatus(final.code, final.signal);
}
