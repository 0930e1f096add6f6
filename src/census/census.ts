// One call from a Host to a classified census.
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { ListeningSocket, ProcessInfo, Snapshot } from '../model/snapshot.js';
import { collectSnapshot } from '../probes/collect.js';
import { assignRoles, classify, type ClassifyOptions } from './classify.js';

export interface CensusOptions {
  /** Read every process in full (environment included), not only those around the roles. */
  enrichAll?: boolean;
}

/**
 * The processes whose evidence a census reads in full: every process with a role, the other members
 * of their process groups (a fork copy or a main the patterns do not name may hold the run's tracker
 * pipe), and every ancestor of all of those: a pipe a launcher holds is no evidence that two runs
 * are one, and a parent's executable, cgroup and fds are adoption evidence. Ancestors are shared, so
 * this is a few processes more, not many. Not pid 1: it is rarely readable in a container, and what
 * it holds its children hold too.
 */
export function evidencePids(rows: ProcessInfo[], sockets: ListeningSocket[], opts: ClassifyOptions, selfPid: number, platform: Snapshot['platform']): Set<number> {
  const roles = assignRoles(rows, sockets, opts, selfPid, platform);
  const want = new Set(roles.keys());
  const groups = new Set<number>();
  for (const r of rows) if (roles.has(r.pid) && r.pgid > 1) groups.add(r.pgid);
  for (const r of rows) if (groups.has(r.pgid)) want.add(r.pid);
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  for (const pid of [...want]) {
    for (let cur = byPid.get(byPid.get(pid)?.ppid ?? -1), n = 0; cur && cur.pid > 1 && !want.has(cur.pid) && n < 256; cur = byPid.get(cur.ppid), n++) want.add(cur.pid);
  }
  return want;
}

/** The snapshot a census classifies: the probes, with the evidence around the roles read in full. */
export function censusSnapshot(host: Host, opts: ClassifyOptions, extra: CensusOptions = {}): Promise<Snapshot> {
  return collectSnapshot(host, { enrichAll: extra.enrichAll, enrich: (rows, sockets) => evidencePids(rows, sockets, opts, host.selfPid, host.platform) });
}

export async function takeCensus(host: Host, opts: ClassifyOptions, extra: CensusOptions = {}): Promise<Census> {
  return classify(await censusSnapshot(host, opts, extra), opts);
}

/** The processes probe must work for a census to mean anything; say why when it did not. */
export function censusFailure(census: Census): string | null {
  return snapshotFailure(census.snapshot);
}

export function snapshotFailure(snapshot: Snapshot): string | null {
  const p = snapshot.probes.find((r) => r.probe.startsWith('processes.'));
  if (!p || p.status === 'ok') return null;
  return `cannot list processes (${p.source}): ${p.message ?? p.status}`;
}
