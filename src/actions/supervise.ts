// `run` and `guard`: start a command so that its whole process tree can be found again and ended,
// including processes that left its process group (setsid) or were re-parented (double fork).
// Finding, signalling and ending go through process-control.ts; this file holds what the two
// commands share on top of it: the watchdog, signal forwarding, and how a leftover escaped.
// docs/run-guard.md.
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Leftover } from '../model/supervision.js';

export type { Leftover } from '../model/supervision.js';
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

/**
 * Where the compiled watchdog lies: the bundle beside a bundled command (dist/cli/commands/
 * watchdog.cjs), tsc's file beside tsc's supervise.js, or under tsx (tests of the sources) the .ts.
 */
function watchdogCommand(): string[] {
  for (const name of ['./watchdog.cjs', './watchdog.js']) {
    const js = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(js)) return [process.execPath, js];
  }
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

/** For each leftover whose parent is not a leftover: "1234 bash ← 1 init", who holds it now (after re-parenting, init or a subreaper). */
export async function parentChains(host: ControlHost, leftovers: readonly Leftover[]): Promise<Map<number, string>> {
  const pids = new Set(leftovers.map((l) => l.pid));
  const out = new Map<number, string>();
  for (const root of leftovers.filter((l) => !pids.has(l.ppid))) {
    const parts: string[] = [];
    let pid = root.ppid;
    for (let i = 0; i < 8 && pid > 0; i++) {
      const t = await readIdentity(host, pid, { argv: false });
      if (!t || t === 'denied') break;
      parts.push(`${t.pid} ${t.comm}`);
      if (pid === 1) break;
      pid = t.ppid;
    }
    out.set(root.pid, parts.length > 0 ? parts.join(' ← ') : `${root.ppid} (gone)`);
  }
  return out;
}
