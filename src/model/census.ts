// The census: a Snapshot read with our users' eyes (roles, kinship, runs, ports).
// docs/attribution.md explains every field below and the evidence behind it.
import type { ProcessInfo, Snapshot } from './snapshot.js';

/**
 * server: runs the interpreter the server pattern describes (or holds a watched port);
 * worker / helper: started by a server or by multiprocessing (spawn/fork/forkserver workers,
 * trackers); launcher: a wrapper that runs the server (`timeout`, `sh -c`, `nohup`, `uv run`,
 * `rerun-doctor run`): part of the run, never the server, never counted in 1 + N.
 */
export type Role = 'server' | 'worker' | 'helper' | 'launcher';

export interface ClassifiedProcess extends ProcessInfo {
  role: Role | null;
  /** What made it so (`spawn-worker`, `resource-tracker`, `server`, `fork-worker`, `launcher`, `descendant`, …). */
  kind: string | null;
  roleReason: string | null;
  /**
   * The process that started it is gone, by evidence (its parent started after it; it sits in a
   * session its parent is not in; …). Never judged from the parent's name.
   */
  adopted: boolean;
  adoptedReason: string | null;
  /** Left behind by a dead run: adopted (or under an orphaned worker) and its run is dead. Never true for a zombie. */
  orphan: boolean;
  orphanReason: string | null;
  /** The run it belongs to (`generations[].id`, oldest = 1); null for processes outside every run. */
  generation: number | null;
  /** Watched ports this process holds a listening socket on. */
  ports: number[];
}

/**
 * running: something that started it is alive (a shell, an IDE, tini, a daemon by design);
 * detached: dead (its launcher is gone) but whole: one server, with everything under it, as
 * `nohup … &` or a killed wrapper leaves it; orphaned: dead and broken (its main process is gone).
 */
export type RunStatus = 'running' | 'detached' | 'orphaned';

/** Whose run it is: the project's (by cwd, executable path or environment), another project's, or not known (unreadable). */
export type RunScope = 'project' | 'other' | 'unknown';

export interface Generation {
  id: number;
  status: RunStatus;
  /** status is detached or orphaned. */
  dead: boolean;
  /** The newest running run of the project that has a live server. */
  current: boolean;
  /** Why the status, in words. */
  statusReason: string;
  scope: RunScope;
  /** Its working directory (the server's, else the first member's that could be read). */
  cwd: string | null;
  /** A newer run of the same project exists: a dead run beside it is stale, not running on purpose. */
  shadowed: boolean;
  /**
   * How sure the attribution is: `weak` when the run is held together only by resemblance (a
   * daemonising helper matched by environment): reported, never cleaned unless named.
   */
  evidence: 'strong' | 'weak';
  startedAt: string;
  serverPid: number | null;
  /** Where it hangs: the members whose parent is not in the run. */
  tops: number[];
  /** For a running run: the live process that started it (a shell, tmux, an IDE, tini, pid 1). */
  startedBy: { pid: number; comm: string } | null;
  pids: number[];
  pgids: number[];
  counts: Record<Role, number>;
  orphans: number;
  /** What tied its processes together: `parent`, `pipe`, `socket`, `pgid`, `marker`, `starter`, `environment`, `start-time`. */
  linkedBy: string[];
  /**
   * A dead run's process-group mates that nothing ties to it (no role, no shared pipe or socket:
   * a Manager's server process created before the tracker, say): reported with it, never ended.
   */
  groupmates: number[];
  /**
   * Its live members started with the Python parent-death guard on (`RERUN_DOCTOR_GUARD=1` in
   * `/proc/PID/environ`, docs/prevention.md); `[]` where none was or the environment is not
   * readable (macOS, another user's processes).
   */
  pythonGuard: number[];
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
  /** The project root runs were scoped to (null: every run counts as the project's). */
  projectRoot: string | null;
}
