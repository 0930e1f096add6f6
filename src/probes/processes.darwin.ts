// The macOS process census: two ps calls merged, then working directories from lsof for the pids
// the caller asks about. See docs/probes/darwin.md for the argv choices and their limits.
import type { Host } from '../host/host.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { ProcessInfo, SnapshotIssue } from '../model/snapshot.js';
import { parseLsofCwd, splitLsofStderr } from '../os/darwin/lsof.js';
import { mergeComm, parsePs, parsePsComm, type PsRow } from '../os/darwin/ps.js';
import type { ProcessProbe, ProcessProbeOptions } from './types.js';
import { describeCommandFailure } from '../host/run-command.js';

const PROBE = 'processes.darwin';

/** Columns in the order the parser expects; `command` last because it holds spaces. */
export const PS_ARGV: readonly string[] = [
  'ps',
  '-axww',
  '-o',
  'pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command=',
];
/**
 * A second call for the kernel's process name alone (`ucomm`, p_comm): it may hold spaces too, and
 * only one free-text column fits per line. Not `comm`, which Apple's ps prints as argv[0]
 * (src/os/darwin/ps.ts).
 */
export const PS_COMM_ARGV: readonly string[] = ['ps', '-axww', '-o', 'pid=,ucomm='];

export function lsofCwdArgv(pids: readonly number[]): string[] {
  // -a ANDs the selectors: without it lsof lists every cwd OR every file of the pids (lsof(8), -a).
  // -w: no warnings (Time Machine / smbfs volumes make lsof warn on every call; see sockets.darwin.ts).
  return ['lsof', '-w', '-a', '-d', 'cwd', '-p', pids.join(','), '-Fn'];
}



/** Drop the parser-only `command` column: the Snapshot's ProcessInfo has no field for it. */
function toProcessInfo(row: PsRow): ProcessInfo {
  const { command: _command, ...info } = row;
  return info;
}

async function pidsToEnrich(rows: ProcessInfo[], opts: ProcessProbeOptions, issues: SnapshotIssue[]): Promise<number[]> {
  if (!opts.enrich) return [];
  try {
    const wanted = await opts.enrich(rows);
    const known = new Set(rows.map((r) => r.pid));
    return [...wanted].filter((pid) => known.has(pid)).sort((a, b) => a - b);
  } catch (e) {
    issues.push({ probe: PROBE, kind: 'failed', message: `choosing pids to enrich failed: ${e instanceof Error ? e.message : String(e)}` });
    return [];
  }
}

/**
 * Fill cwd for the chosen pids. Every problem here is an issue, never a probe failure: the basic rows
 * are already good evidence.
 */
async function fillCwd(host: Host, env: NodeJS.ProcessEnv, rows: ProcessInfo[], pids: number[], issues: SnapshotIssue[]): Promise<ProcessInfo[]> {
  if (pids.length === 0) return rows;
  const argv = lsofCwdArgv(pids);
  const res = await host.run(argv, { env });
  if (res.notFound) {
    issues.push({ probe: PROBE, kind: 'unavailable', message: 'lsof is not installed or not on PATH: working directories unknown', pids });
    return rows;
  }
  // Exit 1 is normal here: lsof exits 1 when any listed pid could not be read or has exited
  // (lsof(8) DIAGNOSTICS) and still prints the others; the pids it left out are reported below.
  const partial = res.code === 1 && !res.timedOut;
  if (res.timedOut || (res.code !== 0 && !partial)) {
    issues.push({ probe: PROBE, kind: 'failed', message: `${argv.join(' ')}: ${describeCommandFailure(res)}`, pids });
    return rows;
  }
  const cwds = parseLsofCwd(res.stdout);
  const missing = pids.filter((pid) => !cwds.has(pid));
  if (missing.length > 0) {
    // A warning about a file system is not why a pid is missing: quote only the other lines.
    const why = splitLsofStderr(res.stderr).other[0]?.trim() ?? '';
    issues.push({
      probe: PROBE,
      kind: 'access-denied',
      message:
        `lsof could not read the working directory of ${missing.length} process(es): another user's process without root, ` +
        `a zombie, or one that exited${why ? ` (${why})` : ''}`,
      pids: missing,
    });
  }
  return rows.map((row) => {
    const cwd = cwds.get(row.pid);
    return cwd === undefined ? row : { ...row, cwd };
  });
}

export const darwinProcesses: ProcessProbe = async (host: Host, opts: ProcessProbeOptions): Promise<Outcome<ProcessInfo[]>> => {
  // LC_ALL=C: lstart's day and month names are locale-dependent (failure-modes.md §7.1).
  // TZ=UTC0: lstart is printed in ps's time zone; asking for UTC removes any doubt about which zone
  // (and the hour a DST change repeats), so it is parsed with offset 0 below.
  const env = { ...host.env, LC_ALL: 'C', TZ: 'UTC0' };
  const argv = [...PS_ARGV];
  const source = argv.join(' ');

  const main = await host.run(argv, { env });
  if (main.notFound) return unavailable('ps is not installed or not on PATH', source);
  if (main.timedOut || main.code !== 0) return failed(`ps ${describeCommandFailure(main)}`, source);

  const parsed = parsePs(main.stdout, source, { utcOffsetMinutes: 0 });
  // ps always lists at least itself: no row at all means we did not understand its output (a new
  // column layout, a locale that slipped through), which must not read as "no processes".
  if (parsed.rows.length === 0) {
    return failed(`no process line of ps could be parsed${parsed.issues[0] ? `: ${parsed.issues[0].message}` : ''}`, source);
  }
  const issues: SnapshotIssue[] = [...parsed.issues];

  const commArgv = [...PS_COMM_ARGV];
  const comm = await host.run(commArgv, { env });
  let rows: PsRow[] = parsed.rows;
  if (!comm.notFound && !comm.timedOut && comm.code === 0) {
    rows = mergeComm(rows, parsePsComm(comm.stdout));
  } else {
    const why = comm.notFound ? 'ps not found' : describeCommandFailure(comm);
    issues.push({ probe: PROBE, kind: 'failed', message: `${commArgv.join(' ')}: ${why}: process names taken from argv[0]` });
  }

  const basic = rows.map(toProcessInfo);
  const pids = await pidsToEnrich(basic, opts, issues);
  const enriched = await fillCwd(host, env, basic, pids, issues);
  return ok(enriched, source, issues);
};
