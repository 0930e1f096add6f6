// Who a pid is right now, per platform, read through Host: the one place that turns /proc/PID/stat
// or a `ps` line into a process identity for the actions (the census has its own probes; both use
// the same parsers and the same start key, so a census row and a ref read here compare equal).
//
// psutil is the model: a Process is (pid, create time), `is_running()` re-reads the create time
// and compares; a zombie is not running; EACCES is AccessDenied, never NoSuchProcess (psutil#503).
import { AccessDenied, ProcessGone } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { describeCommandFailure } from '../../host/run-command.js';
import type { ProcessRef, ProcessIdentity } from '../../model/process-ref.js';
import { parsePs, type PsRow } from '../../os/darwin/ps.js';
import { parseCmdline, parseProcStat } from '../../os/linux/proc-pid.js';
import { PS_ARGV } from '../../probes/processes.darwin.js';
import { listPids } from '../../probes/processes.linux.js';

/** What process control needs of a Host (the watchdog and the tests build just this much). */
export type ControlHost = Pick<Host, 'platform' | 'proc' | 'run' | 'env' | 'selfPid' | 'kill' | 'sleep' | 'now'>;

export type { ProcessIdentity } from '../../model/process-ref.js';

/**
 * A pid's identity now: the process, `null` when it is gone (no such pid, or a zombie: it is dead
 * and holds nothing, it only waits to be reaped), or `'denied'` when it cannot be seen (hidepid,
 * EACCES; on macOS a `ps` that failed). 'denied' is never "gone": an unreadable process may well be
 * alive, and is never signalled.
 */
export type IdentityRead = ProcessIdentity | null | 'denied';

/** A ref compared with the process that holds its pid now. */
export type Sameness = 'same' | 'gone' | 'changed' | 'denied';

/** The census's ps columns (PS_ARGV), so one parser (parsePs) reads both and start keys match. */
const PS_FORMAT = PS_ARGV[3]!;

/** `ps -ww -o <the census columns> -p 1,2,3`: BSD ps takes a comma-separated pid list (ps(1), -p). */
export function psPidsArgv(pids: readonly number[]): string[] {
  return ['ps', '-ww', '-o', PS_FORMAT, '-p', pids.join(',')];
}

/** LC_ALL=C: lstart's names are locale-dependent; TZ=UTC0: lstart is read as UTC (processes.darwin.ts). */
function psEnv(host: ControlHost): NodeJS.ProcessEnv {
  return { ...host.env, LC_ALL: 'C', TZ: 'UTC0' };
}

function fromPsRow(row: PsRow): ProcessIdentity {
  return { pid: row.pid, startKey: row.startKey, ppid: row.ppid, pgid: row.pgid, sid: null, state: row.state, comm: row.comm, argv: row.argv };
}

function readLinux(host: ControlHost, pid: number, withArgv: boolean): IdentityRead {
  let st;
  try {
    st = parseProcStat(host.proc.read(`${pid}/stat`, { singleRead: true }), host.proc.path(`${pid}/stat`));
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    // hidepid=1/2 or another user's /proc without access: alive as far as we know.
    if (e instanceof AccessDenied) return 'denied';
    throw e;
  }
  // X (dead) is only ever seen for an instant; Z holds nothing but its exit status (proc(5)).
  if (st.state === 'Z' || st.state === 'X') return null;
  let argv: string[] = [];
  if (withArgv) {
    try {
      argv = parseCmdline(host.proc.read(`${pid}/cmdline`, { singleRead: true }));
    } catch (e) {
      if (e instanceof ProcessGone) return null;
      // The stat row is identity enough; an unreadable argv stays empty.
      if (!(e instanceof AccessDenied)) throw e;
    }
  }
  return { pid: st.pid, startKey: st.startTicks, ppid: st.ppid, pgid: st.pgid, sid: st.sid, state: st.state, comm: st.comm, argv };
}

/**
 * Identities of several pids in one go: on Linux one stat (and cmdline) read each; on macOS one
 * `ps -p a,b,c`. BSD ps exits 1 when no pid matched and 0 otherwise; pids it does not print are
 * gone. When ps fails, or prints a line we cannot parse, the pids it did not print are 'denied'
 * (unknown), never gone.
 */
export async function readIdentities(host: ControlHost, pids: readonly number[], opts: { argv?: boolean } = {}): Promise<Map<number, IdentityRead>> {
  const out = new Map<number, IdentityRead>();
  if (host.platform === 'linux') {
    for (const pid of pids) out.set(pid, readLinux(host, pid, opts.argv ?? true));
    return out;
  }
  const valid = pids.filter((p) => Number.isInteger(p) && p > 0);
  for (const pid of pids) if (!valid.includes(pid)) out.set(pid, null);
  if (valid.length === 0) return out;
  const argv = psPidsArgv(valid);
  const res = await host.run(argv, { env: psEnv(host) });
  const understood = !res.notFound && !res.timedOut && (res.code === 0 || res.code === 1);
  const parsed = parsePs(understood ? res.stdout : '', argv.join(' '), { utcOffsetMinutes: 0 });
  // Not understood, or a line we could not read: a missing pid may be that line, so it is unknown.
  const unsure = !understood || parsed.issues.length > 0;
  const rows = new Map(parsed.rows.map((r) => [r.pid, r]));
  for (const pid of valid) {
    const row = rows.get(pid);
    if (row) out.set(pid, row.zombie ? null : fromPsRow(row));
    else out.set(pid, unsure ? 'denied' : null);
  }
  return out;
}

/** The identity of one pid now (see IdentityRead). */
export async function readIdentity(host: ControlHost, pid: number, opts: { argv?: boolean } = {}): Promise<IdentityRead> {
  return (await readIdentities(host, [pid], opts)).get(pid) ?? null;
}

export function compareIdentity(ref: ProcessRef, now: IdentityRead): Sameness {
  if (now === 'denied') return 'denied';
  if (now === null) return 'gone';
  return now.startKey === ref.startKey ? 'same' : 'changed';
}

/** psutil's `is_running()`, with the reason: still the process the ref names, gone, another process on that pid, or not readable. */
export async function checkSame(host: ControlHost, ref: ProcessRef): Promise<Sameness> {
  return compareIdentity(ref, await readIdentity(host, ref.pid, { argv: false }));
}

/** checkSame for many refs with one read per pid (one ps call on macOS). Keyed by pid. */
export async function checkMany(host: ControlHost, refs: readonly ProcessRef[]): Promise<Map<number, Sameness>> {
  const now = await readIdentities(host, [...new Set(refs.map((r) => r.pid))], { argv: false });
  return new Map(refs.map((r) => [r.pid, compareIdentity(r, now.get(r.pid) ?? null)]));
}

/**
 * Every live process visible now (zombies and unreadable pids left out). Linux: a stat read per
 * /proc entry, argv only when asked (cmdline is most of the cost); macOS: the census's `ps -axww`.
 * Throws when the table cannot be read at all.
 */
export async function listProcesses(host: ControlHost, opts: { argv?: boolean } = {}): Promise<ProcessIdentity[]> {
  const out: ProcessIdentity[] = [];
  if (host.platform === 'linux') {
    // listPids reads host.proc only.
    for (const pid of listPids(host as Host)) {
      let id: IdentityRead;
      try {
        id = readLinux(host, pid, opts.argv ?? false);
      } catch {
        // A stat line we cannot parse: left out of the listing (never a member, never signalled).
        continue;
      }
      if (id && id !== 'denied') out.push(id);
    }
    return out;
  }
  const argv = [...PS_ARGV];
  const res = await host.run(argv, { env: psEnv(host) });
  if (res.notFound) throw new Error(`${argv.join(' ')}: ps is not installed or not on PATH`);
  if (res.timedOut || res.code !== 0) throw new Error(`${argv.join(' ')}: ${describeCommandFailure(res)}`);
  const parsed = parsePs(res.stdout, argv.join(' '), { utcOffsetMinutes: 0 });
  if (parsed.rows.length === 0) throw new Error(`${argv.join(' ')}: no line could be parsed`);
  for (const row of parsed.rows) if (!row.zombie) out.push(fromPsRow(row));
  return out;
}

/** argv for identities listed without it (Linux); macOS rows already carry it. */
export function withArgv(host: ControlHost, id: ProcessIdentity): ProcessIdentity {
  if (host.platform !== 'linux' || id.argv.length > 0) return id;
  try {
    return { ...id, argv: parseCmdline(host.proc.read(`${id.pid}/cmdline`, { singleRead: true })) };
  } catch {
    return id;
  }
}
