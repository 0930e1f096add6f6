// Which live processes belong to a `run`/`guard` command: its process group, its descendants, and
// (Linux) every process whose environment carries the run's marker, which survives setsid and a
// daemon's double fork. macOS has no readable environment of other processes (`ps -E` shows only
// one's own, truncated, and nothing of SIP-protected binaries), so there the run is the command's
// group plus its descendants by parent chain, and the run is swept while the command lives so that
// a process that left the group (setsid) is remembered while its ancestry can still be seen.
// docs/run-guard.md, "How a run's processes are found" and Limits.
import { refKey, type ProcessRef } from '../../model/process-ref.js';
import { listProcesses, withArgv, type ControlHost, type ProcessIdentity } from './identity.js';
import { ancestryIn } from './signal.js';
import { environCarries } from './spawn-group.js';

export interface RunScope {
  /** The marker's run id (read from /proc/PID/environ on Linux only). */
  runId: string | null;
  /** The command as started; null until known (the watchdog learns it through its pipe). */
  leader: ProcessRef | null;
  /** The command's process group (its pid: it was started as a group leader). */
  pgid: number | null;
}

export interface RunFinder {
  /** Every live process of the run now, argv filled; each is remembered for later sweeps. */
  sweep(): Promise<ProcessIdentity[]>;
  /** Processes known to be the run's (found by an earlier sweep, possibly in another process). */
  remember(refs: Iterable<ProcessRef>): void;
  /** The scope can be learned late (the watchdog hears of the group after it started). */
  setScope(scope: Partial<RunScope>): void;
  known(): ProcessRef[];
}

/** True when /proc/PID/environ holds the run's marker. Unreadable (gone, another user's): false, not ours to end either way. */
export function carriesMarker(host: ControlHost, pid: number, runId: string): boolean {
  try {
    return environCarries(host.proc.read(`${pid}/environ`), runId);
  } catch {
    return false;
  }
}

/**
 * The members of the run in one listing (pure but for the marker reads):
 * - the leader, when it is still the same process;
 * - the group's members, unless a process leading a group of that id is not our leader (the id
 *   was freed and reused: a group id stays taken while any member lives, so while members are
 *   left the id is still ours);
 * - processes already known (same pid and start time);
 * - on Linux, the marker's carriers;
 * - then every descendant of those by parent chain (a child is never older than its parent).
 * `protect` (this process, its ancestors, 0, 1) is never a member.
 */
export function membersIn(list: readonly ProcessIdentity[], scope: RunScope, known: ReadonlySet<string>, protect: ReadonlySet<number>, marked: (pid: number) => boolean): ProcessIdentity[] {
  const byPid = new Map(list.map((p) => [p.pid, p]));
  const members = new Map<number, ProcessIdentity>();
  const add = (p: ProcessIdentity) => {
    if (!protect.has(p.pid)) members.set(p.pid, p);
  };
  const leader = scope.leader ? byPid.get(scope.leader.pid) : undefined;
  if (leader && scope.leader && leader.startKey === scope.leader.startKey) add(leader);
  if (scope.pgid !== null && scope.pgid > 1) {
    const holder = byPid.get(scope.pgid);
    const foreign = holder !== undefined && holder.pgid === scope.pgid && scope.leader !== null && holder.startKey !== scope.leader.startKey;
    if (!foreign) for (const p of list) if (p.pgid === scope.pgid) add(p);
  }
  for (const p of list) if (!members.has(p.pid) && (known.has(refKey(p)) || marked(p.pid))) add(p);
  const children = new Map<number, ProcessIdentity[]>();
  for (const p of list) {
    let c = children.get(p.ppid);
    if (!c) children.set(p.ppid, (c = []));
    c.push(p);
  }
  const queue = [...members.values()];
  while (queue.length > 0) {
    const parent = queue.pop()!;
    for (const c of children.get(parent.pid) ?? []) {
      if (members.has(c.pid) || c.startKey < parent.startKey) continue;
      add(c);
      if (members.has(c.pid)) queue.push(c);
    }
  }
  return [...members.values()].sort((a, b) => a.pid - b.pid);
}

export function createRunFinder(host: ControlHost, initial: RunScope, opts: { onFound?: (refs: ProcessRef[]) => void } = {}): RunFinder {
  const scope: RunScope = { ...initial };
  const known = new Map<string, ProcessRef>();
  const remember = (refs: Iterable<ProcessRef>): ProcessRef[] => {
    const fresh: ProcessRef[] = [];
    for (const r of refs) {
      const k = refKey(r);
      if (!known.has(k)) {
        known.set(k, { pid: r.pid, startKey: r.startKey });
        fresh.push({ pid: r.pid, startKey: r.startKey });
      }
    }
    return fresh;
  };
  return {
    async sweep() {
      const list = await listProcesses(host, { argv: false });
      const byPid = new Map(list.map((p) => [p.pid, p]));
      const protect = new Set<number>([0, 1, host.selfPid, ...ancestryIn(byPid, host.selfPid)]);
      const runId = scope.runId;
      const marked = host.platform === 'linux' && runId ? (pid: number) => carriesMarker(host, pid, runId) : () => false;
      const found = membersIn(list, scope, new Set(known.keys()), protect, marked);
      const fresh = remember(found);
      if (fresh.length > 0) opts.onFound?.(fresh);
      return found.map((p) => withArgv(host, p));
    },
    remember(refs) {
      remember(refs);
    },
    setScope(s) {
      Object.assign(scope, s);
    },
    known: () => [...known.values()],
  };
}

/** The marker reaches every descendant on Linux; elsewhere the run must be watched while it runs. */
export function needsTracking(host: Pick<ControlHost, 'platform'>): boolean {
  return host.platform !== 'linux';
}

/**
 * How long to wait before the next tracking sweep: often while a server starts its workers, then
 * rarely (a macOS `ps -axww` costs tens of milliseconds of CPU).
 */
export function trackIntervalMs(elapsedMs: number): number {
  if (elapsedMs < 5_000) return 200;
  if (elapsedMs < 60_000) return 1_000;
  return 2_000;
}

export interface Tracker {
  /** Stops sweeping; resolves once the sweep in progress, if any, is over. */
  stop(): Promise<void>;
}

/** Sweeps the run now and then until stopped, so that the finder remembers what it saw. A failed sweep is skipped. */
export function trackRun(host: ControlHost, finder: RunFinder, opts: { intervalMs?: (elapsedMs: number) => number } = {}): Tracker {
  const started = host.now().getTime();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await finder.sweep();
      } catch {
        /* ps failed once: the next sweep may not */
      }
      if (stopped) break;
      const ms = (opts.intervalMs ?? trackIntervalMs)(host.now().getTime() - started);
      // A timer of our own rather than host.sleep: stop() must cancel it, or a pending 2 s wait
      // would hold the process open after the command exited.
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake();
      await loop;
    },
  };
}
