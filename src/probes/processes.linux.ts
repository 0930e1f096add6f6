// Linux process census straight from /proc (no ps subprocess): stat and cmdline per pid; then
// status (uid, VmRSS), exe, cwd, cgroup and pipe inodes for the pids the caller wants enriched. status is left out of the pass over every process
// because the kernel formats ~55 lines for it: it cost as much as stat itself (docs/benchmarks.md).
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { failed, ok } from '../model/outcome.js';
import type { ProcessInfo, SnapshotIssue } from '../model/snapshot.js';
import { parsedStat, pidsOf, type RawProc } from '../host/proc-scan.js';
import { isKernelThreadFlags, parseAuxvPageSize, parseBootTime, parseCgroup, parseCmdline, parseEnviron, parseFdLink, parsePasswd, parseProcStat, parseProcStatus, ttyName, type ProcStat } from '../os/linux/proc-pid.js';
import type { ProcessBasics, ProcessProbe } from './types.js';

const PROBE = 'processes.linux';

export function listPids(host: Host): number[] {
  return pidsOf(host.proc.readdir('.'));
}

export function readProcessBasics(host: Host): ProcessBasics {
  let bootTime: number | Error;
  try {
    bootTime = readBootTime(host);
  } catch (e) {
    bootTime = e instanceof Error ? e : new Error(String(e));
  }
  return { bootTime, users: readUserNames(host), pageSize: readPageSize(host) };
}

function ascendingKeys(m: Map<number, unknown>): number[] {
  const keys = [...m.keys()];
  for (let i = 1; i < keys.length; i++) if (keys[i]! <= keys[i - 1]!) return keys.sort((a, b) => a - b);
  return keys;
}

export function readBootTime(host: Host): number {
  return parseBootTime(host.proc.read('stat'), `${host.proc.path('stat')}`);
}

export function readUserNames(host: Host): Map<number, string> {
  try {
    return parsePasswd(host.etc.read('passwd'));
  } catch {
    return new Map();
  }
}

/**
 * Reads one process's basic row; returns null when it vanished mid-read or is a kernel thread
 * (PF_KTHREAD: kthreadd and its children are not user processes and never part of a run; told by
 * the flag, not by pid 2, which in a container is an ordinary process).
 */
export function readProcess(host: Host, pid: number, bootTime: number, pageSize: number, denied: number[]): ProcessInfo | null {
  let stat;
  try {
    stat = parseProcStat(host.proc.read(`${pid}/stat`, { singleRead: true }), `/proc/${pid}/stat`);
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    throw e;
  }
  if (isKernelThreadFlags(stat.flags)) return null;
  let argv: string[] = [];
  try {
    argv = parseCmdline(host.proc.read(`${pid}/cmdline`, { singleRead: true }));
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    if (e instanceof AccessDenied) denied.push(pid);
    else throw e;
  }
  return basicRow(host, stat, argv, bootTime, pageSize);
}

/** A read error of the proc scan ('gone', 'denied', a message) as the typed error RootedFs throws. */
function rawError(error: string, path: string): Error {
  if (error === 'gone') return new ProcessGone(`${path}: gone`);
  if (error === 'denied') return new AccessDenied(`${path}: access denied`);
  return new Error(error);
}

/**
 * The same row as readProcess, from what the census's proc scan read (host/proc-scan.ts): the same
 * nulls (gone, a kernel thread), the same denied cmdlines, the same errors thrown.
 */
export function rowFromRaw(host: Host, pid: number, raw: RawProc, bootTime: number, pageSize: number, denied: number[]): ProcessInfo | null {
  // Parsed by the native reader on its thread where the line is plain (the same ProcStat, from its
  // numbers and comm: the line's text is not kept then), else parsed here.
  let stat = parsedStat(raw);
  if (stat === null) {
    if (raw.stat === null) {
      if (raw.statError === 'gone') return null;
      throw rawError(raw.statError ?? 'not read', host.proc.path(`${pid}/stat`));
    }
    stat = parseProcStat(raw.stat, `/proc/${pid}/stat`);
  }
  if (isKernelThreadFlags(stat.flags)) return null;
  let argv: string[] = [];
  if (raw.cmdline !== null) argv = parseCmdline(raw.cmdline);
  else if (raw.cmdlineError === 'gone') return null;
  else if (raw.cmdlineError === 'denied') denied.push(pid);
  else throw rawError(raw.cmdlineError ?? 'not read', host.proc.path(`${pid}/cmdline`));
  return basicRow(host, stat, argv, bootTime, pageSize);
}

// The last second formatted: processes start in bursts (a pool's workers, a boot), and a Date per
// row was a visible share of a cold census (docs/benchmarks.md).
let lastSecond = NaN;
let lastPrefix = '';

/** `new Date(ms).toISOString()`, the date and time up to the second reused from the row before. */
export function isoMillis(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Years 0-9999 only ("+275760-…" has a longer prefix): anything else is formatted whole.
    if (iso.length !== 24) return new Date(ms).toISOString();
    lastSecond = second;
    lastPrefix = iso.slice(0, 20);
  }
  const frac = ms - second * 1000;
  return `${lastPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

function basicRow(host: Host, stat: ProcStat, argv: string[], bootTime: number, pageSize: number): ProcessInfo {
  // uid and user come from status in enrichProcess, for the processes that matter: a stat() of
  // every /proc/PID for its owner cost a tenth of a cold census (docs/benchmarks.md).
  const startSeconds = bootTime + stat.startTicks / host.clockTicks;
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    pgid: stat.pgid,
    sid: stat.sid,
    uid: null,
    user: null,
    state: stat.state,
    zombie: stat.state === 'Z',
    startTime: isoMillis(Math.round(startSeconds * 1000)),
    startKey: stat.startTicks,
    comm: stat.comm,
    argv,
    exe: null,
    cwd: null,
    rssBytes: stat.rssPages * pageSize,
    cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / host.clockTicks,
    tty: ttyName(stat.ttyNr),
  };
}

/** The kernel's page size (stat counts rss in pages); 4096 when auxv cannot be read (fixture trees). */
export function readPageSize(host: Host): number {
  try {
    return parseAuxvPageSize(host.proc.readBytes('self/auxv')) ?? 4096;
  } catch {
    return 4096;
  }
}

/** status, exe, cwd, cgroup, environment markers, pipe and socket inodes: the costlier reads, only where needed. */
/** What could not be read, as issues: the snapshot says so instead of showing a partial row as whole. */
export function accessIssues(deniedBasic: readonly number[], denied: ReadonlySet<number>): SnapshotIssue[] {
  const issues: SnapshotIssue[] = [];
  if (deniedBasic.length > 0) {
    issues.push({ probe: PROBE, kind: 'access-denied', message: `command line of ${deniedBasic.length} process(es) not readable`, pids: [...deniedBasic] });
  }
  if (denied.size > 0) {
    issues.push({ probe: PROBE, kind: 'access-denied', message: `status, exe, cwd or fd table of ${denied.size} process(es) not readable (other users' processes need root)`, pids: [...denied].sort((a, b) => a - b) });
  }
  return issues;
}

export function enrichProcess(host: Host, p: ProcessInfo, denied: Set<number>, users: Map<number, string>): void {
  try {
    const st = parseProcStatus(host.proc.read(`${p.pid}/status`));
    if (st.uid !== null) {
      p.uid = st.uid;
      p.user = users.get(st.uid) ?? String(st.uid);
    }
    if (st.rssBytes !== null) p.rssBytes = st.rssBytes;
    p.nsPid = st.nsPid;
    p.nsPids = st.nsPids;
    p.sigPnd = st.sigPnd;
    p.shdPnd = st.shdPnd;
    p.sigIgn = st.sigIgn;
    p.threads = st.threads;
    p.involuntarySwitches = st.involuntarySwitches;
    p.cpusAllowed = st.cpusAllowed;
  } catch (e) {
    if (e instanceof AccessDenied) denied.add(p.pid);
  }
  // environ is readable by its owner and root only; a few keys are kept (ENV_KEYS), never the rest.
  try {
    p.env = parseEnviron(host.proc.read(`${p.pid}/environ`));
  } catch {
    /* another user's process, or gone: no environment evidence */
  }
  const link = (rel: string): string | null => {
    try {
      return host.proc.readlink(`${p.pid}/${rel}`);
    } catch (e) {
      if (e instanceof AccessDenied) denied.add(p.pid);
      return null;
    }
  };
  const exe = link('exe');
  // A deleted executable (upgraded venv) reads as "/path (deleted)": keep the path, it still identifies the run.
  p.exe = exe;
  p.cwd = link('cwd');
  try {
    p.cgroup = parseCgroup(host.proc.read(`${p.pid}/cgroup`));
  } catch {
    p.cgroup = null;
  }
  const pipes = new Set<number>();
  const sockets = new Set<number>();
  const socketFds: number[] = [];
  const pipeFds: number[] = [];
  try {
    const { fds, targets } = host.proc.fdLinks(p.pid);
    for (let i = 0; i < fds.length; i++) {
      // Pipes on 0-2 are stdio, often shared by unrelated runs of one launcher; a run's own
      // pipes (the resource tracker's, the spawn handshake's) sit on fd 3 and up.
      if (fds[i]! < 3) continue;
      const l = parseFdLink(targets[i]!);
      if (l?.kind === 'pipe') {
        pipes.add(l.inode);
        pipeFds.push(fds[i]!);
      } else if (l?.kind === 'socket') {
        socketFds.push(fds[i]!);
        sockets.add(l.inode);
      }
    }
  } catch (e) {
    if (e instanceof AccessDenied) denied.add(p.pid);
  }
  p.pipes = [...pipes].sort((a, b) => a - b);
  p.socketFds = socketFds.sort((a, b) => a - b);
  p.pipeFds = pipeFds.sort((a, b) => a - b);
  p.socketInodes = [...sockets].sort((a, b) => a - b);
}

export const linuxProcesses: ProcessProbe = async (host, opts) => {
  // Who read it, for a bug report: the native reader, a worker thread beside this one, or this thread.
  const reader = opts.scanned?.nativePids ? ' (native reader)' : opts.scanned?.workerPids ? ' (with a worker thread)' : '';
  const source = `${host.proc.path('[pid]')}/{stat,cmdline}${reader}`;
  let bootTime: number;
  let pids: number[];
  // What the census's proc scan read (probes/collect.ts), else this thread reads each pid now.
  const scanned = opts.scanned?.procs;
  const basics = opts.basics ?? readProcessBasics(host);
  try {
    if (basics.bootTime instanceof Error) throw basics.bootTime;
    bootTime = basics.bootTime;
    // The pass's records come in ascending pid order (host/proc-scan.ts); sorted again only if not.
    pids = scanned ? ascendingKeys(scanned) : listPids(host);
  } catch (e) {
    return failed(`cannot read ${host.proc.root}: ${(e as Error).message}`, source);
  }
  const { users, pageSize } = basics;
  const deniedBasic: number[] = [];
  const rows: ProcessInfo[] = [];
  const issues: SnapshotIssue[] = [];
  for (const pid of pids) {
    try {
      const raw = scanned?.get(pid);
      const p = raw ? rowFromRaw(host, pid, raw, bootTime, pageSize, deniedBasic) : readProcess(host, pid, bootTime, pageSize, deniedBasic);
      if (p) rows.push(p);
    } catch (e) {
      issues.push({ probe: PROBE, kind: 'parse', message: `pid ${pid}: ${(e as Error).message}`, pids: [pid] });
    }
  }
  const want = (await opts.enrich?.(rows)) ?? new Set<number>();
  const denied = new Set<number>();
  for (const p of rows) if (want.has(p.pid)) enrichProcess(host, p, denied, users);
  issues.push(...accessIssues(deniedBasic, denied));
  return ok(rows, source, issues);
};
