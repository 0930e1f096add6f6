// The JSON outputs: stable, documented contracts (docs/json.md), versioned by schemaVersion.
import type { Census, ClassifiedProcess, PortReport } from '../model/census.js';
import type { GrpcHealth } from '../model/grpc.js';

// 2: runs have status running | detached | orphaned with `current`, scope, cwd, tops and
// startedBy; processes carry `adopted`; roles include `launcher` (docs/json.md).
export const JSON_SCHEMA_VERSION = 2;

export function processJson(p: ClassifiedProcess) {
  return {
    pid: p.pid,
    ppid: p.ppid,
    pgid: p.pgid,
    sid: p.sid,
    uid: p.uid,
    user: p.user,
    role: p.role,
    kind: p.kind,
    roleReason: p.roleReason,
    adopted: p.adopted,
    adoptedReason: p.adoptedReason,
    orphan: p.orphan,
    orphanReason: p.orphanReason,
    generation: p.generation,
    state: p.state,
    zombie: p.zombie,
    argv: p.argv,
    comm: p.comm,
    exe: p.exe,
    cwd: p.cwd,
    startTime: p.startTime,
    rssBytes: p.rssBytes,
    cpuSeconds: p.cpuSeconds,
    tty: p.tty,
    ports: p.ports,
  };
}

function header(census: Census) {
  const s = census.snapshot;
  return { schemaVersion: JSON_SCHEMA_VERSION, takenAt: s.takenAt, hostname: s.hostname, platform: s.platform };
}

export function procsJson(census: Census, opts: { all: boolean; ports: number[]; serverPattern: string }) {
  const list = census.processes.filter((p) => opts.all || p.role !== null);
  return {
    ...header(census),
    watch: { ports: opts.ports, serverPattern: opts.serverPattern },
    processes: list.map(processJson),
    generations: census.generations,
    issues: census.snapshot.issues,
  };
}

export function portsJson(census: Census, reports: PortReport[], grpc: Map<number, GrpcHealth> = new Map()) {
  return {
    ...header(census),
    ports: reports.map((r) => ({ ...r, grpc: grpc.get(r.port) ?? null })),
    issues: census.snapshot.issues.filter((i) => i.probe.startsWith('sockets.')),
  };
}
