// Which fork-unsafe native libraries (grpc, tokenizers) a server that forks its workers has mapped:
// one read of /proc/PID/maps per such server, after the census told its fork workers. See
// docs/rules/fork-unsafe.md. Linux only (macOS: vmmap needs the task port; not read).
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { Snapshot } from '../model/snapshot.js';
import { parseMapsLibraries } from '../os/linux/proc-maps.js';

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
    const row = rows.get(pid);
    if (row) row.loaded = loaded;
    const c = classified.get(pid);
    if (c) c.loaded = loaded;
  }
}
