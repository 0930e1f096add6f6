// collectSnapshot: run the probes for this host's platform and assemble a Snapshot.
import type { Host } from '../host/host.js';
import type { Outcome } from '../model/outcome.js';
import { SNAPSHOT_SCHEMA_VERSION, type ListeningSocket, type ProbeReport, type ProcessInfo, type Snapshot, type SnapshotIssue, type UnixListeningSocket } from '../model/snapshot.js';
import { PROBES } from './index.js';
import { listPids, readBootTime } from './processes.linux.js';
import { linuxSocketScan } from './sockets.linux.js';

export interface CollectOptions {
  /** Skip the socket probe (its fd scan is the larger share of a census). */
  sockets?: boolean;
  /** Enrich every process (exe, cwd, environment, fds, …). */
  enrichAll?: boolean;
  /**
   * Which processes to enrich, chosen from the basic rows and the listening sockets (the census
   * picks the roles, their group mates and ancestors: src/census/census.ts). Default: none.
   */
  enrich?: (rows: ProcessInfo[], sockets: ListeningSocket[]) => Set<number>;
}

function report<T>(probe: string, o: Outcome<T>, ms: number): ProbeReport {
  return { probe, status: o.status, source: o.source, message: o.status === 'ok' ? undefined : o.reason, durationMs: Math.round(ms * 10) / 10 };
}

export async function collectSnapshot(host: Host, opts: CollectOptions = {}): Promise<Snapshot> {
  const probes: ProbeReport[] = [];
  const issues: SnapshotIssue[] = [];
  let sockets: ListeningSocket[] = [];
  // Linux: the unix listeners from the same fd scan; undefined where they are not collected.
  let unixSockets: UnixListeningSocket[] | undefined;
  // Linux, on a real /proc: the fd scan starts first, shared with a worker thread (host/fd-scan.ts),
  // and the socket owners are joined up when the process pass needs them to choose what to enrich.
  const t0 = performance.now();
  let fdScan = null;
  if (opts.sockets !== false && host.platform === 'linux' && host.proc.startFdScan) {
    try {
      fdScan = host.proc.startFdScan(listPids(host));
    } catch {
      fdScan = null; // /proc unreadable: the socket probe below says why
    }
  }
  let joined: Promise<void> | null = null;
  // Time this thread spent finishing the fd scan inside the process pass: the sockets' share, not the processes'.
  let joinMs = 0;
  const joinSockets = (): Promise<void> =>
    (joined ??= (async () => {
      const j0 = performance.now();
      const o = await linuxSocketScan(host, { scan: await fdScan!.finish() });
      joinMs = performance.now() - j0;
      probes.push(report('sockets.linux', o, performance.now() - t0));
      if (o.status === 'ok') {
        sockets = o.value.tcp;
        unixSockets = o.value.unix ?? undefined;
        issues.push(...o.issues);
      }
    })());
  if (opts.sockets !== false && !fdScan) {
    if (host.platform === 'linux') {
      const o = await linuxSocketScan(host);
      probes.push(report('sockets.linux', o, performance.now() - t0));
      if (o.status === 'ok') {
        sockets = o.value.tcp;
        unixSockets = o.value.unix ?? undefined;
        issues.push(...o.issues);
      }
    } else {
      const o = await PROBES.sockets[host.platform](host);
      probes.push(report(`sockets.${host.platform}`, o, performance.now() - t0));
      if (o.status === 'ok') {
        sockets = o.value;
        issues.push(...o.issues);
      }
    }
  }
  const t1 = performance.now();
  const o = await PROBES.processes[host.platform](host, {
    enrich: async (rows) => {
      if (fdScan) await joinSockets();
      return opts.enrichAll ? new Set(rows.map((r) => r.pid)) : (opts.enrich?.(rows, sockets) ?? new Set());
    },
  });
  // The process pass failed before choosing what to enrich: the sockets are still wanted.
  if (fdScan) await joinSockets();
  probes.push(report(`processes.${host.platform}`, o, performance.now() - t1 - joinMs));
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
    ...(unixSockets !== undefined ? { unixSockets } : {}),
    probes,
    issues,
  };
}
