// collectSnapshot: run the probes for this host's platform and assemble a Snapshot.
import type { Host } from '../host/host.js';
import { assignRoles, type ClassifyOptions } from '../census/classify.js';
import type { Outcome } from '../model/outcome.js';
import { SNAPSHOT_SCHEMA_VERSION, type ListeningSocket, type ProbeReport, type Snapshot, type SnapshotIssue } from '../model/snapshot.js';
import { PROBES } from './index.js';
import { readBootTime } from './processes.linux.js';

export interface CollectOptions {
  classify: ClassifyOptions;
  /** Skip the socket probe (its fd scan is the larger share of a census). */
  sockets?: boolean;
  /** Enrich every process (exe, cwd, …), not only the project's. */
  enrichAll?: boolean;
}

function report<T>(probe: string, o: Outcome<T>, ms: number): ProbeReport {
  return { probe, status: o.status, source: o.source, message: o.status === 'ok' ? undefined : o.reason, durationMs: Math.round(ms * 10) / 10 };
}

export async function collectSnapshot(host: Host, opts: CollectOptions): Promise<Snapshot> {
  const probes: ProbeReport[] = [];
  const issues: SnapshotIssue[] = [];
  let sockets: ListeningSocket[] = [];
  if (opts.sockets !== false) {
    const t0 = performance.now();
    const o = await PROBES.sockets[host.platform](host);
    probes.push(report(`sockets.${host.platform}`, o, performance.now() - t0));
    if (o.status === 'ok') {
      sockets = o.value;
      issues.push(...o.issues);
    }
  }
  const t1 = performance.now();
  const o = await PROBES.processes[host.platform](host, {
    enrich: (rows) => {
      if (opts.enrichAll) return new Set(rows.map((r) => r.pid));
      const roles = assignRoles(rows, sockets, opts.classify, host.selfPid, host.platform);
      const want = new Set(roles.keys());
      // The other members of their process groups (a fork copy or a main the patterns do not name
      // may hold the run's tracker pipe), and every ancestor of all of those: a pipe a launcher
      // holds is no evidence that two runs are one, and a parent's executable, cgroup and fds are
      // adoption evidence. Ancestors are shared, so this is a few processes more, not many. Not pid
      // 1: it is rarely readable in a container, and what it holds its children hold too.
      const groups = new Set<number>();
      for (const r of rows) if (roles.has(r.pid) && r.pgid > 1) groups.add(r.pgid);
      for (const r of rows) if (groups.has(r.pgid)) want.add(r.pid);
      const byPid = new Map(rows.map((r) => [r.pid, r]));
      for (const pid of [...want]) {
        for (let cur = byPid.get(byPid.get(pid)?.ppid ?? -1), n = 0; cur && cur.pid > 1 && !want.has(cur.pid) && n < 256; cur = byPid.get(cur.ppid), n++) want.add(cur.pid);
      }
      return want;
    },
  });
  probes.push(report(`processes.${host.platform}`, o, performance.now() - t1));
  if (o.status === 'ok') issues.push(...o.issues);
  let bootTime: string | null = null;
  if (host.platform === 'linux') {
    try {
      bootTime = new Date(readBootTime(host) * 1000).toISOString();
    } catch {
      /* unavailable: the processes probe has said why */
    }
  }
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    platform: host.platform,
    takenAt: host.now().toISOString(),
    hostname: host.hostname(),
    selfPid: host.selfPid,
    bootTime,
    processes: o.status === 'ok' ? o.value : [],
    sockets,
    probes,
    issues,
  };
}
