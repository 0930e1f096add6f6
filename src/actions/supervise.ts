// `run` and `guard`: start a command so that its whole process tree can be found again and ended,
// including processes that left its process group (setsid) or were re-parented (double fork).
// Linux finds them by an environment marker every descendant inherits, read back from
// /proc/PID/environ; macOS has no readable environ, so there only the process group is reached
// (docs/run-guard.md, Limits).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { parseCmdline, parseFdLink, parseProcStat } from '../os/linux/proc-pid.js';
import { parseNetTcp, TCP_LISTEN } from '../os/linux/proc-net.js';
import { listPids } from '../probes/processes.linux.js';

/** The variable every descendant inherits. Its value is a comma-separated list of run ids, so a `run` inside a `run` stays reachable by both. */
export const RUN_ID_VAR = 'RERUN_DOCTOR_RUN_ID';

/** What the sweep needs of a Host: the watchdog builds just this, without a config or a census. */
export type ProcHost = Pick<Host, 'proc' | 'selfPid' | 'sleep' | 'platform' | 'kill'>;

/** A process as it was when found: pid plus start time is its identity (a pid alone can be reused). */
export interface Target {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  startKey: number;
  comm: string;
  argv: string[];
}

export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

/** The child's environment: the caller's, with this run's id added to any outer run's ids. */
export function markedEnv(env: NodeJS.ProcessEnv, runId: string): NodeJS.ProcessEnv {
  const outer = env[RUN_ID_VAR];
  return { ...env, [RUN_ID_VAR]: outer ? `${outer},${runId}` : runId };
}

/** Reads one process; null when it is gone or a zombie (a zombie cannot be signalled into exiting: it is already dead). */
export function readTarget(host: ProcHost, pid: number): Target | null {
  let st;
  try {
    st = parseProcStat(host.proc.read(`${pid}/stat`), `/proc/${pid}/stat`);
  } catch {
    return null;
  }
  if (st.state === 'Z' || st.state === 'X') return null;
  let argv: string[] = [];
  try {
    argv = parseCmdline(host.proc.read(`${pid}/cmdline`));
  } catch {
    /* unreadable or gone: the stat row is identity enough */
  }
  return { pid: st.pid, ppid: st.ppid, pgid: st.pgid, sid: st.sid, startKey: st.startTicks, comm: st.comm, argv };
}

/** Still the same process (same pid, same start time) and not a zombie. */
export function sameProcess(host: ProcHost, t: Pick<Target, 'pid' | 'startKey'>): boolean {
  return readTarget(host, t.pid)?.startKey === t.startKey;
}

/** True when /proc/PID/environ holds RERUN_DOCTOR_RUN_ID with runId among its ids. */
export function carriesMarker(host: ProcHost, pid: number, runId: string): boolean {
  let env: string;
  try {
    env = host.proc.read(`${pid}/environ`);
  } catch {
    // Gone, or another user's process (environ is owner-only): not ours to end either way.
    return false;
  }
  const key = `${RUN_ID_VAR}=`;
  for (const entry of env.split('\0')) {
    if (entry.startsWith(key) && entry.slice(key.length).split(',').includes(runId)) return true;
  }
  return false;
}

/** This process and every ancestor up to init: never signalled, whatever they carry. */
export function protectedPids(host: ProcHost): Set<number> {
  const out = new Set<number>([0, 1, host.selfPid]);
  let pid = host.selfPid;
  for (let i = 0; i < 1000 && pid > 1; i++) {
    const t = readTarget(host, pid);
    if (!t) break;
    out.add(t.ppid);
    pid = t.ppid;
  }
  return out;
}

/**
 * Every live process of the run: those carrying the marker (Linux) plus the members of the
 * command's process group (which also covers a child that scrubbed its environment but stayed in
 * the group). Ancestors and this process are left out.
 */
export function findRunProcesses(host: ProcHost, runId: string, pgid: number | null): Target[] {
  const keep = protectedPids(host);
  const out: Target[] = [];
  let pids: number[];
  try {
    // listPids reads only host.proc; the watchdog has no full Host to give it.
    pids = listPids(host as Host);
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (keep.has(pid)) continue;
    const t = readTarget(host, pid);
    if (!t) continue;
    if ((pgid !== null && t.pgid === pgid) || (host.platform === 'linux' && carriesMarker(host, pid, runId))) out.push(t);
  }
  return out;
}

/** Signals t only if it is still the process found (pid + start time re-read right before). */
export function signalIfSame(host: ProcHost, t: Target, signal: NodeJS.Signals): boolean {
  if (t.pid <= 1 || t.pid === host.selfPid || !sameProcess(host, t)) return false;
  return host.kill(t.pid, signal) === 'ok';
}

export interface EndResult {
  /** Every process that was alive at the first sweep or appeared during it. */
  ended: Target[];
  /** Of those, the ones that needed SIGKILL. */
  killed: Target[];
}

/**
 * SIGTERM to every process of the run, up to graceMs for them to exit, SIGKILL to the rest. The
 * run is swept again after the grace period, so a process forked meanwhile is not missed.
 */
export async function endRun(host: ProcHost, find: () => Target[], graceMs: number): Promise<EndResult> {
  const seen = new Map<string, Target>();
  const key = (t: Target) => `${t.pid}:${t.startKey}`;
  const first = find();
  for (const t of first) {
    seen.set(key(t), t);
    signalIfSame(host, t, 'SIGTERM');
  }
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    const left = find();
    for (const t of left) {
      // Forked after the first sweep: it gets the same SIGTERM first.
      if (!seen.has(key(t))) {
        seen.set(key(t), t);
        signalIfSame(host, t, 'SIGTERM');
      }
    }
    if (left.length === 0) break;
    await host.sleep(50);
  }
  const killed: Target[] = [];
  // Several rounds: a process can fork between one sweep and its SIGKILL.
  for (let round = 0; round < 5; round++) {
    const left = find();
    if (left.length === 0) break;
    for (const t of left) {
      if (!seen.has(key(t))) seen.set(key(t), t);
      if (signalIfSame(host, t, 'SIGKILL') && !killed.some((k) => key(k) === key(t))) killed.push(t);
    }
    await host.sleep(50);
  }
  return { ended: [...seen.values()], killed };
}

export interface Leftover extends Target {
  /** Left the command's session (setsid or a daemon's double fork). */
  newSession: boolean;
  /** In the session but another process group (setpgid). */
  newGroup: boolean;
  /** Its parent is no longer a process of the run (re-parented to init or a subreaper). */
  orphaned: boolean;
}

export function describeLeftovers(targets: Target[], childPid: number): Leftover[] {
  const pids = new Set(targets.map((t) => t.pid));
  return targets.map((t) => ({
    ...t,
    newSession: t.sid !== childPid,
    newGroup: t.sid === childPid && t.pgid !== childPid,
    orphaned: t.ppid !== childPid && !pids.has(t.ppid),
  }));
}

/** "ended 3 leftover processes (pids 1, 2, 3: 2 in a new session (setsid), 2 orphaned (double fork))". */
export function cleanedLine(prefix: string, ended: Leftover[], killed: number): string {
  const n = ended.length;
  const parts: string[] = [];
  const c = (f: (l: Leftover) => boolean) => ended.filter(f).length;
  if (c((l) => l.newSession)) parts.push(`${c((l) => l.newSession)} in a new session (setsid)`);
  if (c((l) => l.newGroup)) parts.push(`${c((l) => l.newGroup)} in a new process group`);
  if (c((l) => l.orphaned)) parts.push(`${c((l) => l.orphaned)} orphaned (double fork or parent gone)`);
  if (killed > 0) parts.push(`${killed} needed SIGKILL`);
  return `${prefix}: ended ${n} leftover process${n === 1 ? '' : 'es'} (pid${n === 1 ? '' : 's'} ${ended.map((l) => l.pid).join(', ')}${parts.length ? `; ${parts.join(', ')}` : ''})\n`;
}

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

/** Listening TCP sockets held by these pids (this network namespace's /proc/net/tcp{,6}). */
export function listenersOf(host: ProcHost, pids: number[]): Listener[] {
  if (host.platform !== 'linux' || pids.length === 0) return [];
  const rows = new Map<number, { address: string; port: number }>();
  for (const [file, family] of [['net/tcp', 4], ['net/tcp6', 6]] as const) {
    try {
      for (const r of parseNetTcp(host.proc.read(file), family, file)) if (r.state === TCP_LISTEN) rows.set(r.inode, r);
    } catch (e) {
      if (!(e instanceof ProcessGone)) throw e;
    }
  }
  const out: Listener[] = [];
  for (const pid of pids) {
    let links;
    try {
      links = host.proc.fdLinks(pid);
    } catch {
      continue;
    }
    const inodes = new Set<number>();
    for (const target of links.targets) {
      const l = parseFdLink(target);
      if (l?.kind === 'socket' && !inodes.has(l.inode)) {
        inodes.add(l.inode);
        const r = rows.get(l.inode);
        if (r) out.push({ pid, address: r.address, port: r.port });
      }
    }
  }
  return out;
}

/** Exit status as a shell reports it: the code, or 128 + the signal's number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const table = osConstants.signals as Record<string, number | undefined>;
  return 128 + (signal ? (table[signal] ?? 0) : 0);
}

export interface Started {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts argv as the leader of its own process group (Node's detached: a new session), with the
 * run's marker in its environment and the caller's stdio.
 */
export function startMarked(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; runId: string }): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: markedEnv(opts.env, opts.runId), detached: true, stdio: 'inherit' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    child.once('error', reject);
    child.once('spawn', () => resolve({ child, pid: child.pid!, exited }));
  });
}

/** Forwards SIGINT, SIGTERM and SIGHUP to the group while the command runs; returns the remover. */
export function forwardSignals(started: Started, onSignal: (s: NodeJS.Signals) => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = () => {
      // The leader is not reaped until its exit event, so until then its pid is still its group's id.
      if (started.child.exitCode === null && started.child.signalCode === null) {
        try {
          process.kill(-started.pid, sig);
        } catch {
          /* the group is already empty */
        }
      }
      onSignal(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/** Where the compiled watchdog lies; under tsx (tests of the sources) the .ts beside this file. */
function watchdogCommand(): string[] {
  const js = fileURLToPath(new URL('./watchdog.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  return [process.execPath, '--import', 'tsx', fileURLToPath(new URL('./watchdog.ts', import.meta.url))];
}

export interface Watchdog {
  /** Tells it the command's process group, once started. */
  setGroup(pgid: number): void;
  /** The supervisor finished its own cleanup: the watchdog exits without ending anything. */
  release(): void;
}

/**
 * Starts the watchdog before the command, so the command is never running unwatched. It is not in
 * the command's group or session and does not carry this run's marker (it must outlive the sweep
 * it performs). Its stdin is a pipe from us: EOF without "done" means we died.
 */
export function startWatchdog(host: ProcHost, runId: string, env: NodeJS.ProcessEnv, graceMs: number): Watchdog {
  const self = readTarget(host, host.selfPid);
  const [cmd, ...args] = watchdogCommand();
  const child = spawn(cmd!, [...args, runId, String(host.selfPid), String(self?.startKey ?? -1), String(graceMs), host.proc.root], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env,
  });
  child.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep this process alive.
  child.unref();
  const stdinHandle = child.stdin as unknown as { unref?: () => void };
  stdinHandle.unref?.();
  return {
    setGroup: (pgid) => void child.stdin!.write(`pgid ${pgid}\n`),
    release: () => {
      // "done" on the pipe, and SIGTERM in case the pipe write is still queued when we exit.
      child.stdin!.end('done\n');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
