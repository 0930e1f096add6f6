// `run` and `guard`: start a command so that its whole process tree can be found again and ended,
// including processes that left its process group (setsid) or were re-parented (double fork).
// Finding, signalling and ending go through process-control.ts; this file holds what the two
// commands share on top of it: the watchdog, signal forwarding, and how a leftover escaped.
// docs/run-guard.md.
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  readIdentity,
  signalOwnChild,
  spawnGroup,
  terminate,
  type ControlHost,
  type ProcessIdentity,
  type ProcessRef,
  type SpawnedGroup,
  type TerminateResult,
} from './process-control.js';

export { newRunId, RUN_ID_VAR } from './process-control.js';

export interface Leftover extends ProcessIdentity {
  /** Left the command's session (setsid or a daemon's double fork). Linux only: macOS shows no session. */
  newSession: boolean;
  /** In the session but another process group (setpgid). Linux only. */
  newGroup: boolean;
  /** macOS: in another process group than the command's (setsid or setpgid: the session is not shown). */
  leftGroup: boolean;
  /** Its parent is no longer a process of the run (re-parented to init, launchd or a subreaper). */
  orphaned: boolean;
}

export function describeLeftovers(targets: readonly ProcessIdentity[], childPid: number): Leftover[] {
  const pids = new Set(targets.map((t) => t.pid));
  return targets.map((t) => ({
    ...t,
    newSession: t.sid !== null && t.sid !== childPid,
    newGroup: t.sid !== null && t.sid === childPid && t.pgid !== childPid,
    leftGroup: t.sid === null && t.pgid !== childPid,
    orphaned: t.ppid !== childPid && !pids.has(t.ppid),
  }));
}

/** How it got away, as the leftover lists say it. */
export function escapeNotes(l: Leftover): string[] {
  return [
    l.newSession ? 'new session (setsid)' : null,
    l.newGroup ? 'new process group' : null,
    l.leftGroup ? 'left the process group (setsid or setpgid)' : null,
    l.orphaned ? 'orphaned' : null,
  ].filter((s): s is string => s !== null);
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** "…; 1 still alive (pid 9: survived SIGKILL)" for what could not be ended, or ''. */
function notEndedNote(notEnded: ReadonlyArray<TerminateResult<ProcessIdentity>>): string {
  if (notEnded.length === 0) return '';
  return `; ${notEnded.length} not ended (${notEnded.map((r) => `pid ${r.target.pid}: ${r.outcome}`).join(', ')})`;
}

/** "ended 3 leftover processes (pids 1, 2, 3; 2 in a new session (setsid), 2 orphaned (double fork))". */
export function cleanedLine(prefix: string, ended: Leftover[], killed: number, notEnded: ReadonlyArray<TerminateResult<ProcessIdentity>> = []): string {
  const n = ended.length;
  const parts: string[] = [];
  const c = (f: (l: Leftover) => boolean) => ended.filter(f).length;
  if (c((l) => l.newSession)) parts.push(`${c((l) => l.newSession)} in a new session (setsid)`);
  if (c((l) => l.newGroup)) parts.push(`${c((l) => l.newGroup)} in a new process group`);
  if (c((l) => l.leftGroup)) parts.push(`${c((l) => l.leftGroup)} out of the process group (setsid or setpgid)`);
  if (c((l) => l.orphaned)) parts.push(`${c((l) => l.orphaned)} orphaned (double fork or parent gone)`);
  if (killed > 0) parts.push(`${killed} needed SIGKILL`);
  return `${prefix}: ended ${n} leftover ${plural(n, 'process', 'processes')} (${plural(n, 'pid', 'pids')} ${ended.map((l) => l.pid).join(', ')}${parts.length ? `; ${parts.join(', ')}` : ''})${notEndedNote(notEnded)}\n`;
}

export interface EndResult {
  /** Ended by us (SIGTERM or SIGKILL). */
  ended: ProcessIdentity[];
  /** Of those, the ones that needed SIGKILL. */
  killed: ProcessIdentity[];
  /** Still there, or never signalled: survived SIGKILL, denied, refused. */
  notEnded: Array<TerminateResult<ProcessIdentity>>;
}

/**
 * The one policy (terminate): SIGTERM to every process of the run, up to graceMs, SIGKILL to the
 * rest; `find` is re-run between rounds, so a process forked meanwhile is not missed.
 */
export async function endRun(host: ControlHost, find: () => Promise<ProcessIdentity[]>, graceMs: number): Promise<EndResult> {
  const { results } = await terminate(host, find, { graceMs, pollMs: 50 });
  const ended = results.filter((r) => r.outcome === 'terminated' || r.outcome === 'killed');
  return {
    ended: ended.map((r) => r.target),
    killed: ended.filter((r) => r.outcome === 'killed').map((r) => r.target),
    notEnded: results.filter((r) => r.outcome === 'survived' || r.outcome === 'denied' || r.outcome === 'refused'),
  };
}

/** Exit status as a shell reports it: the code, or 128 + the signal's number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const table = osConstants.signals as Record<string, number | undefined>;
  return 128 + (signal ? (table[signal] ?? 0) : 0);
}

/** Starts argv as a group leader with the run's marker and the caller's stdio. */
export function startMarked(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; runId: string }): Promise<SpawnedGroup> {
  return spawnGroup(argv, { cwd: opts.cwd, env: opts.env, stdio: 'inherit', marker: opts.runId });
}

/** The command as a ref, read right after it started; null if it is already gone. */
export async function leaderRef(host: ControlHost, started: SpawnedGroup): Promise<ProcessRef | null> {
  const id = await readIdentity(host, started.pid, { argv: false });
  return id && id !== 'denied' ? { pid: id.pid, startKey: id.startKey } : null;
}

/** Forwards SIGINT, SIGTERM and SIGHUP to the command's group while it runs; returns the remover. */
export function forwardSignals(host: ControlHost, started: SpawnedGroup, onSignal: (s: NodeJS.Signals) => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = () => {
      // As a terminal would: to the whole group. While Node has not reaped the leader, its pid is
      // still the group's id; after that, only if the group still has members.
      void signalOwnChild(host, started, sig, { group: true });
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
  /** Tells it the command's process group and, when known, the command itself. */
  setGroup(pgid: number, leader: ProcessRef | null): void;
  /** Tells it processes found to be the run's (macOS: those that left the group are found only so). */
  remember(refs: readonly ProcessRef[]): void;
  /** The supervisor finished its own cleanup: the watchdog exits without ending anything. */
  release(): void;
}

/**
 * Starts the watchdog before the command, so the command is never running unwatched. It leads its
 * own group and session (not the command's) and does not carry this run's marker (it must outlive
 * the sweep it performs). Its stdin is a pipe from us: EOF without "done" means we died.
 * argv: RUN_ID SUPERVISOR_PID SUPERVISOR_START_KEY GRACE_MS PROC_ROOT PLATFORM.
 */
export async function startWatchdog(host: ControlHost, runId: string, env: NodeJS.ProcessEnv, graceMs: number): Promise<Watchdog> {
  const self = await readIdentity(host, host.selfPid, { argv: false });
  const selfStart = self && self !== 'denied' ? self.startKey : -1;
  let wd: SpawnedGroup;
  try {
    wd = await spawnGroup([...watchdogCommand(), runId, String(host.selfPid), String(selfStart), String(graceMs), host.proc.root, host.platform], {
      env,
      stdio: ['pipe', 'ignore', 'ignore'],
      // Neither the watchdog nor its pipe may keep this process alive.
      unref: true,
    });
  } catch {
    // No watchdog (node itself could not be started again): the run goes on, unwatched as before it.
    return { setGroup: () => undefined, remember: () => undefined, release: () => undefined };
  }
  const stdin = wd.child.stdin!;
  stdin.on('error', () => undefined);
  const write = (line: string) => {
    if (!stdin.writableEnded) stdin.write(line);
  };
  return {
    setGroup: (pgid, leader) => {
      if (leader) write(`leader ${leader.pid} ${leader.startKey}\n`);
      write(`pgid ${pgid}\n`);
    },
    remember: (refs) => {
      for (const r of refs) write(`ref ${r.pid} ${r.startKey}\n`);
    },
    release: () => {
      // "done" on the pipe, and SIGTERM in case the pipe write is still queued when we exit.
      if (!stdin.writableEnded) stdin.end('done\n');
      void signalOwnChild(host, wd, 'SIGTERM');
    },
  };
}
