// The census: a Snapshot read with our users' eyes (roles, orphans, runs, ports).
import type { ProcessInfo, Snapshot } from './snapshot.js';

export type Role = 'server' | 'worker' | 'helper';

export interface ClassifiedProcess extends ProcessInfo {
  role: Role | null;
  /** What made it so (`spawn-worker`, `resource-tracker`, `server`, `descendant`, …). */
  kind: string | null;
  roleReason: string | null;
  orphan: boolean;
  orphanReason: string | null;
  /** 1 = the oldest run still present; null for processes outside the project. */
  generation: number | null;
  /** Watched ports this process holds a listening socket on. */
  ports: number[];
}

export interface Generation {
  id: number;
  /** `current` (has a live server), `orphaned` (its server is gone), `older` (an earlier run whose server lives on). */
  status: 'current' | 'orphaned' | 'older';
  startedAt: string;
  serverPid: number | null;
  pids: number[];
  pgids: number[];
  counts: Record<Role, number>;
  orphans: number;
  /** What tied its processes together (`parent`, `pipe`, `pgid`). */
  linkedBy: string[];
}

export interface PortOwner {
  pid: number;
  fd: number | null;
  role: Role | null;
  orphan: boolean;
  generation: number | null;
  comm: string;
  argv: string[];
  user: string | null;
  startTime: string;
  /** Parent chain, nearest first, up to pid 1 or the first missing parent. */
  ancestry: Array<{ pid: number; comm: string }>;
}

export interface PortSocket {
  address: string;
  family: 4 | 6;
  id: string;
  owners: PortOwner[];
}

export interface PortReport {
  port: number;
  watched: boolean;
  /** free: nothing listens; single: one socket, one owner; inherited: one socket, several owners; duplicated: several sockets on overlapping addresses (SO_REUSEPORT). */
  topology: 'free' | 'single' | 'inherited' | 'duplicated' | 'separate';
  sockets: PortSocket[];
  heldByOrphan: boolean;
  /** The runs (generations) whose processes hold the port: more than one means an old run still takes traffic. */
  runs: number[];
}

export interface Census {
  snapshot: Snapshot;
  processes: ClassifiedProcess[];
  generations: Generation[];
}
