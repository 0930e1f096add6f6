// Who holds each port: every socket, every owner, and the topology that tells an inherited
// socket (one id, several pids) from SO_REUSEPORT duplicates (several ids on one address).
import type { Census, PortReport, PortSocket } from '../model/census.js';
import type { ListeningSocket } from '../model/snapshot.js';
import { ancestry } from './classify.js';

const WILDCARD = new Set(['0.0.0.0', '::']);

/** Two listeners compete for the same connections when their addresses overlap in one family. */
function overlaps(a: ListeningSocket, b: ListeningSocket): boolean {
  if (a.family !== b.family) return false;
  return a.address === b.address || WILDCARD.has(a.address) || WILDCARD.has(b.address);
}

export function topologyOf(sockets: ListeningSocket[]): PortReport['topology'] {
  if (sockets.length === 0) return 'free';
  for (let i = 0; i < sockets.length; i++) {
    for (let j = i + 1; j < sockets.length; j++) if (overlaps(sockets[i]!, sockets[j]!)) return 'duplicated';
  }
  if (sockets.length > 1) return 'separate';
  return sockets[0]!.owners.length > 1 ? 'inherited' : 'single';
}

export function portReports(census: Census, ports: number[], watched: number[]): PortReport[] {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const watchedSet = new Set(watched);
  return ports.map((port) => {
    const raw = census.snapshot.sockets.filter((s) => s.port === port);
    const sockets: PortSocket[] = raw.map((s) => ({
      address: s.address,
      family: s.family,
      id: s.id,
      owners: s.owners.map((o) => {
        const p = byPid.get(o.pid);
        return {
          pid: o.pid,
          fd: o.fd,
          role: p?.role ?? null,
          orphan: p?.orphan ?? false,
          generation: p?.generation ?? null,
          comm: p?.comm ?? '?',
          argv: p?.argv ?? [],
          user: p?.user ?? null,
          startTime: p?.startTime ?? '',
          ancestry: ancestry(o.pid, byPid),
        };
      }),
    }));
    return {
      port,
      watched: watchedSet.has(port),
      topology: topologyOf(raw),
      sockets,
      heldByOrphan: sockets.some((s) => s.owners.some((o) => o.orphan)),
      runs: [...new Set(sockets.flatMap((s) => s.owners.map((o) => o.generation)).filter((g): g is number => g !== null))].sort((a, b) => a - b),
    };
  });
}

/**
 * Several sockets on one address whose owners are not all one live run: an old server (or an
 * orphan, or an owner we cannot see) takes part of the traffic. All sockets of one live run are a
 * multi-process server by design; all of one dead run's orphans share the port with nobody new.
 */
export function splitsTraffic(r: PortReport): boolean {
  if (r.topology !== 'duplicated') return false;
  const owners = r.sockets.flatMap((s) => s.owners);
  return r.runs.length > 1 || (owners.some((o) => o.orphan) && owners.some((o) => !o.orphan)) || owners.some((o) => o.generation === null);
}
