// Listening TCP sockets on macOS, with every owning pid, from lsof field output.
// See docs/probes/darwin.md for why each flag is there.
import type { Host } from '../host/host.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { ListeningSocket, SnapshotIssue } from '../model/snapshot.js';
import { parseLsofListen, splitLsofStderr } from '../os/darwin/lsof.js';
import type { SocketProbe } from './types.js';

const PROBE = 'sockets.darwin';

/**
 * -w: no warning messages (a mounted Time Machine snapshot or smbfs volume makes lsof warn on every
 * call, test/fixtures/darwin/captured/lsof/; Apple's lsof 4.91 lists `[+|-w]` in its usage);
 * -n/-P: numeric hosts and ports (no DNS or /etc/services lookups, which are slow and ambiguous);
 * -iTCP -sTCP:LISTEN: TCP listeners only (-s filters the network files -i selects, lsof(8)'s own
 * "-iTCP -sTCP:LISTEN" example; no -a needed since nothing else is selected); -F…0: field output,
 * NUL-terminated so names survive intact, with pid, command, fd, DEVICE (d), type, name, TCP state.
 */
export const LSOF_LISTEN_ARGV: readonly string[] = ['lsof', '-w', '-nP', '-iTCP', '-sTCP:LISTEN', '-FpcfdtnT0'];

/** An exit-1 stderr that means "you called me wrong", not "I could not see everything". */
const USAGE_ERROR = /usage:|unknown|unsupported|illegal|invalid/i;


export const darwinSockets: SocketProbe = async (host: Host): Promise<Outcome<ListeningSocket[]>> => {
  const argv = [...LSOF_LISTEN_ARGV];
  const source = argv.join(' ');
  // LC_ALL=C keeps lsof's messages in English so the stderr checks below mean what they say.
  const res = await host.run(argv, { env: { ...host.env, LC_ALL: 'C' } });
  if (res.notFound) return unavailable('lsof is not installed or not on PATH', source);
  if (res.timedOut) return failed('lsof timed out', source);

  if (res.code === 0) {
    const { sockets, issues } = parseLsofListen(res.stdout);
    return ok(sockets, source, issues);
  }

  // Warnings (if -w was not honoured) are about file systems, never about what we asked for: only
  // the other lines can explain an exit status.
  const stderr = splitLsofStderr(res.stderr).other;
  const firstProblem = stderr[0]?.trim() ?? '';

  if (res.code === 1) {
    // lsof(8) DIAGNOSTICS: it "returns a one (1) if any error was detected, including the failure to
    // locate ... Internet addresses or files ... it was asked to list". So exit 1 covers both
    // "no TCP listener at all" (empty stdout, nothing on stderr) and "could not read some processes"
    // (partial stdout, e.g. other users' processes without root; failure-modes.md §7.2). Neither is a
    // failure of the probe.
    if (res.stdout.trim() === '') {
      if (USAGE_ERROR.test(stderr.join('\n'))) return failed(`lsof exited 1: ${firstProblem}`, source);
      const issues: SnapshotIssue[] = firstProblem
        ? [{ probe: PROBE, kind: 'access-denied', message: `lsof exited 1 with no listeners listed: ${firstProblem}` }]
        : [];
      return ok([], source, issues);
    }
    const { sockets, issues } = parseLsofListen(res.stdout);
    const detail = firstProblem ? ` (${firstProblem})` : '';
    issues.push({
      probe: PROBE,
      kind: 'access-denied',
      message: `lsof exited 1 with partial output${detail}: listeners held by other users' processes may be missing; run as root to see them`,
    });
    return ok(sockets, source, issues);
  }

  const why = firstProblem || `exit status ${String(res.code)}`;
  return failed(`lsof failed: ${why}`, source);
};
