// Linux process census straight from /proc (no ps subprocess): stat, cmdline, status per pid,
// then exe, cwd, cgroup and pipe inodes for the pids the caller wants enriched.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { failed, ok } from '../model/outcome.js';
import type { ProcessInfo, SnapshotIssue } from '../model/snapshot.js';
import { parseBootTime, parseCgroup, parseCmdline, parseFdLink, parsePasswd, parseProcStat, parseProcStatus, ttyName } from '../os/linux/proc-pid.js';
import type { ProcessProbe } from './types.js';

const PROBE = 'processes.linux';

export function listPids(host: Host): number[] {
  const pids: number[] = [];
  for (const name of host.proc.readdir('.')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      const pid = Number(name);
      if (Number.isInteger(pid)) pids.push(pid);
    }
  }
  return pids.sort((a, b) => a - b);
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

/** Reads one process's basic row; returns null when it vanished mid-read. */
export function readProcess(host: Host, pid: number, bootTime: number, users: Map<number, string>, denied: number[]): ProcessInfo | null {
  let stat;
  try {
    stat = parseProcStat(host.proc.read(`${pid}/stat`), `/proc/${pid}/stat`);
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    throw e;
  }
  let argv: string[] = [];
  try {
    argv = parseCmdline(host.proc.read(`${pid}/cmdline`));
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    if (e instanceof AccessDenied) denied.push(pid);
    else throw e;
  }
  let uid: number | null = null;
  let rssBytes: number | null = null;
  try {
    ({ uid, rssBytes } = parseProcStatus(host.proc.read(`${pid}/status`)));
  } catch (e) {
    if (e instanceof ProcessGone) return null;
    if (e instanceof AccessDenied) denied.push(pid);
    else throw e;
  }
  const startSeconds = bootTime + stat.startTicks / host.clockTicks;
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    pgid: stat.pgid,
    sid: stat.sid,
    uid,
    user: uid === null ? null : (users.get(uid) ?? String(uid)),
    state: stat.state,
    zombie: stat.state === 'Z',
    startTime: new Date(Math.round(startSeconds * 1000)).toISOString(),
    startKey: stat.startTicks,
    comm: stat.comm,
    argv,
    exe: null,
    cwd: null,
    rssBytes: rssBytes ?? (stat.state === 'Z' ? 0 : null),
    cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / host.clockTicks,
    tty: ttyName(stat.ttyNr),
  };
}

/** exe, cwd, cgroup and pipe inodes: readlinks that cost a syscall each, so only where needed. */
export function enrichProcess(host: Host, p: ProcessInfo, denied: Set<number>): void {
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
  const socketFds: number[] = [];
  try {
    for (const fd of host.proc.readdir(`${p.pid}/fd`)) {
      let target: string;
      try {
        target = host.proc.readlink(`${p.pid}/fd/${fd}`);
      } catch {
        continue; // fd closed between readdir and readlink
      }
      // Pipes on 0-2 are stdio, often shared by unrelated runs of one launcher; a run's own
      // pipes (the resource tracker's, the spawn handshake's) sit on fd 3 and up.
      if (Number(fd) < 3) continue;
      const l = parseFdLink(target);
      if (l?.kind === 'pipe') pipes.add(l.inode);
      else if (l?.kind === 'socket') socketFds.push(Number(fd));
    }
  } catch (e) {
    if (e instanceof AccessDenied) denied.add(p.pid);
  }
  p.pipes = [...pipes].sort((a, b) => a - b);
  p.socketFds = socketFds.sort((a, b) => a - b);
}

/** Kernel threads (kthreadd, pid 2, and its children) are not user processes and never part of a run. */
function isKernelThread(p: ProcessInfo): boolean {
  return p.pid === 2 || (p.ppid === 2 && p.argv.length === 0);
}

export const linuxProcesses: ProcessProbe = async (host, opts) => {
  const source = `${host.proc.path('[pid]')}/{stat,cmdline,status}`;
  let bootTime: number;
  let pids: number[];
  try {
    bootTime = readBootTime(host);
    pids = listPids(host);
  } catch (e) {
    return failed(`cannot read ${host.proc.root}: ${(e as Error).message}`, source);
  }
  const users = readUserNames(host);
  const deniedBasic: number[] = [];
  const rows: ProcessInfo[] = [];
  const issues: SnapshotIssue[] = [];
  for (const pid of pids) {
    try {
      const p = readProcess(host, pid, bootTime, users, deniedBasic);
      if (p && !isKernelThread(p)) rows.push(p);
    } catch (e) {
      issues.push({ probe: PROBE, kind: 'parse', message: `pid ${pid}: ${(e as Error).message}`, pids: [pid] });
    }
  }
  const want = opts.enrich?.(rows) ?? new Set<number>();
  const denied = new Set<number>();
  for (const p of rows) if (want.has(p.pid)) enrichProcess(host, p, denied);
  if (deniedBasic.length > 0) {
    issues.push({ probe: PROBE, kind: 'access-denied', message: `command line or status of ${deniedBasic.length} process(es) not readable`, pids: deniedBasic });
  }
  if (denied.size > 0) {
    issues.push({ probe: PROBE, kind: 'access-denied', message: `exe, cwd or fd table of ${denied.size} process(es) not readable (other users' processes need root)`, pids: [...denied].sort((a, b) => a - b) });
  }
  return ok(rows, source, issues);
};
