import { createRunFinder, listenersOf, needsTracking, trackRun, type ProcessIdentity } from '../../actions/process-control.js';
import { describeLeftovers, endRun, exitStatus, forwardSignals, leaderRef, newRunId, parentChains, startMarked } from '../../actions/supervise.js';
import { renderLeftovers } from '../../render/supervise.js';
import { createHost } from '../../host/host.js';
import { defineCommand } from '../command-spec.js';
import { parseDuration } from '../duration.js';
import { checkCommand, EXIT, spawnFailure, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'guard',
  usage: ['guard [--allow PATTERN]… [--clean] -- CMD…'],
  about: `For CI and test suites (goleak, for processes): runs CMD in its own process group with the
environment variable RERUN_DOCTOR_RUN_ID, waits for it to exit, then fails if it left processes
or listening ports behind: every process still carrying the variable or in CMD's group. A process
that is exiting anyway is not reported: the check is retried for up to --settle. Each leftover is
listed with its parents, its command line and how it got away (new session, orphaned).
On macOS the variable cannot be read back: the run is CMD's process group and its descendants,
watched while CMD runs, so a double-forked daemon escapes there (docs/run-guard.md, Limits).`,
  flags: {
    allow: { type: 'string', value: 'PATTERN', multiple: true, help: "a regular expression on a process's command line (argv joined by spaces): matching processes are not reported nor ended (repeatable)" },
    clean: { type: 'boolean', help: 'end the leftovers: SIGTERM, then SIGKILL after --grace' },
    grace: { type: 'string', value: 'D', help: 'with --clean', defaultText: '5s' },
    settle: { type: 'string', value: 'D', help: 'how long a leftover may take to exit by itself', defaultText: '3s' },
  },
  common: false,
  positionals: { command: true },
  examples: [
    { run: 'rerun-doctor guard -- npm test', does: 'fail the job if the tests leave a process or a listening port behind' },
    { run: "rerun-doctor guard --allow 'sccache' -- pytest -x", does: 'the same, except for a compiler cache server you keep on purpose' },
    { run: 'rerun-doctor guard --clean --grace 2s -- make integration', does: 'fail, and end the leftovers too' },
  ],
  exit: `Exit status: 1 when anything was left behind (also with --clean: the leak is the failure);
otherwise CMD's own status (128 + the signal's number when a signal ended it); 2 for a usage
error; 127 when CMD is not found, 126 when it is not executable (as a shell says it), with
nothing started. Nothing is printed when nothing was left.`,
});

const SETTLE_POLL_MS = 100;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('guard: expected the command after --, e.g. rerun-doctor guard -- npm test');
  const graceMs = parseDuration(values.grace ?? '5s', '--grace', { minMs: 0 });
  const settleMs = parseDuration(values.settle ?? '3s', '--settle', { minMs: 0 });
  const allow = (values.allow ?? []).map((p) => {
    try {
      return new RegExp(p);
    } catch (e) {
      throw new UsageError(`--allow "${p}": not a valid regular expression: ${(e as Error).message}`);
    }
  });
  // Said before anything starts (the watchdog too), as a shell says it: 127 not found, 126 not executable.
  checkCommand(positionals, { cwd: io.cwd, env: io.env, shell: true });
  const host = createHost({ env: io.env });
  const runId = newRunId();

  let started;
  try {
    started = await startMarked(positionals, { cwd: io.cwd, env: io.env, runId });
  } catch (e) {
    throw spawnFailure(positionals[0]!, e, { shell: true });
  }
  const leader = await leaderRef(host, started);
  const finder = createRunFinder(host, { runId, leader, pgid: started.pid });
  // Where the marker cannot be read back (macOS), the run is watched while it lives.
  const tracker = needsTracking(host) ? trackRun(host, finder) : null;
  // Forwarded like a terminal would; guard then still checks what the stopped command left.
  const removeForwarders = forwardSignals(host, started, () => undefined);
  const exit = await started.exited;
  removeForwarders();
  await tracker?.stop();
  const status = exitStatus(exit.code, exit.signal);

  const allowed = (t: ProcessIdentity) => allow.some((re) => re.test(t.argv.join(' ')));
  const find = async () => (await finder.sweep()).filter((t) => !allowed(t));
  // Settle: a leftover that is already on its way out (a worker finishing its last request) is
  // not a leak; only what is still there after settleMs is.
  const end = host.now().getTime() + settleMs;
  let left = await find();
  while (left.length > 0 && host.now().getTime() < end) {
    await host.sleep(SETTLE_POLL_MS);
    left = await find();
  }
  if (left.length === 0) return status;

  const leftovers = describeLeftovers(left, started.pid);
  const { listeners, unknown } = await listenersOf(host, left.map((t) => t.pid));
  io.stderr(renderLeftovers(positionals, status, leftovers, listeners, await parentChains(host, leftovers)));
  if (unknown) io.stderr(`rerun-doctor guard: listening ports unknown (${unknown})\n`);
  if (values.clean) {
    const { ended, killed, notEnded } = await endRun(host, find, graceMs);
    const notes = [killed.length > 0 ? `${killed.length} needed SIGKILL` : null, ...notEnded.map((r) => `pid ${r.target.pid} not ended: ${r.outcome}`)].filter(Boolean);
    io.stderr(`rerun-doctor guard: ended ${ended.length} leftover process${ended.length === 1 ? '' : 'es'} (pid${ended.length === 1 ? '' : 's'} ${ended.map((t) => t.pid).join(', ')}${notes.length > 0 ? `; ${notes.join(', ')}` : ''})\n`);
  } else {
    io.stderr('rerun-doctor guard: end them with --clean, or by pid as listed\n');
  }
  return EXIT.findings;
}
