// collectSnapshot: run the probes for this host's platform and assemble a Snapshot.
import type { Host } from '../host/host.js';
import type { Outcome } from '../model/outcome.js';
import { SNAPSHOT_SCHEMA_VERSION, type ListeningSocket, type ProbeReport, type ProcessInfo, type Snapshot, type SnapshotIssue, type UnixListeningSocket } from '../model/snapshot.js';
import { PROBES } from './index.js';
import { readBootTime, readProcessBasics } from './processes.linux.js';
import type { ProcessBasics } from './types.js';
import { linuxSocketScan, readSocketTables, type SocketTables } from './sockets.linux.js';
import type { ProcScanJob, ProcScanResult } from '../host/proc-scan.js';
import { monotonicMs } from '../host/clock.js';

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
  // Linux, on a real /proc: one pass reads every process's stat, cmdline and fd links, shared with
  // a worker thread (host/proc-scan.ts); the sockets and the process rows are then made from it.
  const t0 = monotonicMs();
  let scanned: ProcScanResult | undefined;
  let tables: SocketTables | undefined;
  let basics: ProcessBasics | undefined;
  if (opts.sockets !== false && host.platform === 'linux' && host.proc.startProcScan) {
    // The pass lists the root itself: the native reader's listing, made at its start (the CLI's
    // first line), is the census's; a listing that fails leaves the probes below to say why.
    try {
      const job: ProcScanJob = host.proc.startProcScan(null);
      // What does not depend on the pass is read while its threads run, not after its wait: the
      // listener tables, the boot time, the user names, the page size (issue 12).
      tables = readSocketTables(host);
      basics = readProcessBasics(host);
      scanned = await job.finish();
    } catch {
      scanned = undefined; // /proc unreadable: the probes below say why
    }
  }
  // The pass's time is the processes' (most of it is theirs: two reads of every process against
  // one listing of its fds); the socket probe's is its own tables and the joining of owners.
  const scanMs = monotonicMs() - t0;
  if (opts.sockets !== false) {
    const s0 = monotonicMs();
    if (host.platform === 'linux') {
      const o = await linuxSocketScan(host, scanned ? { scan: scanned, ...(tables ? { tables } : {}) } : {});
      probes.push(report('sockets.linux', o, monotonicMs() - s0));
      if (o.status === 'ok') {
        sockets = o.value.tcp;
        unixSockets = o.value.unix ?? undefined;
        issues.push(...o.issues);
      }
    } else {
      const o = await PROBES.sockets[host.platform](host);
      probes.push(report(`sockets.${host.platform}`, o, monotonicMs() - s0));
      if (o.status === 'ok') {
        sockets = o.value;
        issues.push(...o.issues);
      }
    }
  }
  const t1 = monotonicMs();
  const o = await PROBES.processes[host.platform](host, {
    scanned,
    ...(scanned && basics ? { basics } : {}),
    enrich: (rows) => (opts.enrichAll ? new Set(rows.map((r) => r.pid)) : (opts.enrich?.(rows, sockets) ?? new Set())),
  });
  probes.push(report(`processes.${host.platform}`, o, monotonicMs() - t1 + scanMs));
  if (o.status === 'ok') issues.push(...o.issues);
  let bootTime: string | null = null;
  if (host.platform === 'linux') {
    // Read once when it was read ahead with the scan, else now.
    try {
      const boot = basics?.bootTime ?? readBootTime(host);
      if (boot instanceof Error) throw boot;
      bootTime = new Date(boot * 1000).toISOString();
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
