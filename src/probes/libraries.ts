// Which fork-unsafe native libraries (grpc, tokenizers) a server that forks its workers has mapped:
// one read of /proc/PID/maps per such server, after the census told its fork workers; where grpc
// is mapped, its threads (/proc/PID/task/*/comm, at most MAX_TASKS): importing grpc starts none,
// creating a channel or a server does. See docs/rules/fork-unsafe.md. Linux only (macOS: vmmap
// needs the task port; not read).
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { ProcessInfo, Snapshot } from '../model/snapshot.js';
import { parseMapsLibraries } from '../os/linux/proc-maps.js';

export const MAX_TASKS = 512;
/** grpc core's thread names (comm, 15 characters): the executors, the timer manager, EventEngine's. */
export const GRPC_THREAD = /^(grpc|default-executo|resolver-execut|event_engine|timer_manager)/;

/**
 * grpc's threads in the process now, or null when its task list cannot be read. Their names only:
 * grpc stops and restarts its threads around every fork, so their start times say nothing about
 * whether grpc ran before one.
 */
export function readGrpcThreads(host: Host, pid: number): ProcessInfo['grpcThreads'] {
  let tids: string[];
  try {
    tids = host.proc.readdir(`${pid}/task`).slice(0, MAX_TASKS);
  } catch (e) {
    if (e instanceof ProcessGone || e instanceof AccessDenied) return null;
    throw e;
  }
  const names: string[] = [];
  for (const tid of tids) {
    try {
      const comm = host.proc.read(`${pid}/task/${tid}/comm`, { singleRead: true }).trim();
      if (GRPC_THREAD.test(comm)) names.push(comm);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return { count: names.length, names: [...new Set(names)].sort() };
}

/** The servers fork workers were forked from: each fork worker's nearest ancestor that is a server and not a fork copy itself. */
export function forkParents(census: Census): number[] {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const out = new Set<number>();
  for (const w of census.processes) {
    if (w.kind !== 'fork-worker' || w.zombie) continue;
    for (let cur = byPid.get(w.ppid), n = 0; cur && n < 64; cur = byPid.get(cur.ppid), n++) {
      if (cur.role === 'server' && cur.kind !== 'fork-worker') {
        out.add(cur.pid);
        break;
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Sets `loaded` on the fork parents' rows, in the snapshot and in the census (null: maps not readable). */
export function readForkParentLibraries(host: Host, snapshot: Snapshot, census: Census): void {
  if (host.platform !== 'linux') return;
  const rows = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const classified = new Map(census.processes.map((p) => [p.pid, p]));
  for (const pid of forkParents(census)) {
    let loaded: string[] | null;
    try {
      loaded = parseMapsLibraries(host.proc.read(`${pid}/maps`));
    } catch (e) {
      if (!(e instanceof ProcessGone || e instanceof AccessDenied)) throw e;
      loaded = null;
    }
    const threads = loaded?.includes('grpc') ? readGrpcThreads(host, pid) : undefined;
    for (const r of [rows.get(pid), classified.get(pid)]) {
      if (!r) continue;
      r.loaded = loaded;
      if (threads !== undefined) r.grpcThreads = threads;
    }
  }
}
