// The Snapshot is the contract between probes and everything after them:
// plain JSON, versioned, replayable in tests and attachable to bug reports.

export const SNAPSHOT_SCHEMA_VERSION = 1;

export type Platform = 'linux' | 'darwin';

/** One process as the OS reports it. Nothing here is interpretation. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id. null where the platform does not report it (macOS ps gives no sid). */
  sid: number | null;
  uid: number | null;
  user: string | null;
  /** One-letter kernel state (R, S, D, Z, T, I, …). */
  state: string;
  zombie: boolean;
  /**
   * Absolute start time, ISO 8601 UTC. Linux: boot time + start ticks, to 1/100 s;
   * macOS: `lstart`, to the second.
   */
  startTime: string;
  /** Platform-exact start stamp used for identity: Linux clock ticks since boot; macOS epoch seconds. */
  startKey: number;
  /** Short name (Linux comm, 15 chars; macOS comm basename). */
  comm: string;
  argv: string[];
  /** Executable path; null when unreadable (other users' processes without root, kernel threads). */
  exe: string | null;
  /** Working directory; null when unreadable. */
  cwd: string | null;
  rssBytes: number | null;
  /** User + system CPU time, seconds. */
  cpuSeconds: number | null;
  /** Controlling terminal name (`pts/3`, `ttys002`), null when none. */
  tty: string | null;
  /** Linux: the process's cgroup path (unified hierarchy), when read. */
  cgroup?: string | null;
  /** Linux: pipe inodes found in the fd table (used to tie one run's processes together). */
  pipes?: number[];
  /** Linux: fd numbers (3 and up) that hold sockets; tells a forkserver (its listener on the fd its argv names) from the workers it forked. */
  socketFds?: number[];
  /** Linux: fd numbers (3 and up) that hold pipes; with socketFds, tells the forkserver (its alive pipe on the fd its argv names) from a worker that reused the numbers. */
  pipeFds?: number[];
  /** Linux: socket inodes held on fd 3 and up (an inherited socket ties the processes that share it). */
  socketInodes?: number[];
  /** Linux: its pid inside its own PID namespace (the last `NSpid:` of status); 1 for a container's init. */
  nsPid?: number | null;
  /**
   * Linux: the whole `NSpid:` of status, outermost first: its pid in the namespace of the /proc read
   * (the host's, when rerun-doctor reads a host /proc), then in each nested namespace down to its own
   * (`[48213, 7]`: pid 48213 here, pid 7 in its container). Absent in older documents.
   */
  nsPids?: number[] | null;
  /** Linux: `SigPnd:` of status (signals pending for the thread, hex as printed); SIGKILL is mask 0x100. */
  sigPnd?: string | null;
  /** Linux: `ShdPnd:` of status (signals pending for the whole process, hex as printed). */
  shdPnd?: string | null;
  /** Linux: the ignored-signals mask (`SigIgn:` of status, hex): `nohup` leaves SIGHUP ignored. */
  sigIgn?: string | null;
  /** Linux: threads in the process (`Threads:` of status). */
  threads?: number | null;
  /** Linux: times the kernel preempted its main thread (`nonvoluntary_ctxt_switches:` of status; the thread group leader's count only). */
  involuntarySwitches?: number | null;
  /** Linux: the CPUs its affinity allows (`Cpus_allowed_list:` of status, `0-3,8`). */
  cpusAllowed?: string | null;
  /**
   * Linux: the libraries of LIBRARY_MARKERS (src/os/linux/proc-maps.ts) mapped in it (`grpc`,
   * `tokenizers`), from `/proc/PID/maps`; read only for servers that have fork workers (fork-unsafe).
   * null: maps not readable.
   */
  loaded?: string[] | null;
  /**
   * Linux: grpc core's own threads running in it (`/proc/PID/task/TID/comm`: default-executor,
   * grpc_global_timer, event_engine, …); read only for servers that have fork workers and grpc
   * loaded (fork-unsafe). null: the task list was not readable.
   */
  grpcThreads?: { count: number; names: string[] } | null;
  /**
   * A few environment variables that tie a process to its run and project, and the settings the
   * cause rules judge (only these keys are ever read: see ENV_KEYS in os/linux/proc-pid.ts);
   * absent where environ is unreadable.
   */
  env?: Record<string, string>;
}

/** SIGKILL is signal 9: bit 8 of a SigPnd/ShdPnd mask (mask 0x100). */
export const SIGKILL_MASK = 0x100n;

/** Whether SIGKILL is pending in either mask (hex as status prints them); null when neither was read. */
export function sigkillPending(sigPnd: string | null | undefined, shdPnd: string | null | undefined): boolean | null {
  if (sigPnd == null && shdPnd == null) return null;
  return [sigPnd, shdPnd].some((m) => m != null && (BigInt(`0x${m}`) & SIGKILL_MASK) !== 0n);
}

export interface SocketOwner {
  pid: number;
  /** The fd number holding the socket, when known. */
  fd: number | null;
}

/** One listening TCP socket. */
export interface ListeningSocket {
  /** Printable address: `127.0.0.1`, `0.0.0.0`, `::`, `::1`, `::ffff:127.0.0.1`. */
  address: string;
  port: number;
  family: 4 | 6;
  /** Socket identity: the inode on Linux (`"inode:12345"`), the kernel address lsof shows as DEVICE on macOS (`"0x55618c024692f4d1"`). */
  id: string;
  /** Every pid whose fd table holds the socket. Empty when no owner could be seen (see issues). */
  owners: SocketOwner[];
  /** Where the row came from (`/proc/net/tcp6`, `lsof -F`). */
  source: string;
}

/**
 * One listening Unix-domain socket with a name (Linux: a row of /proc/net/unix with __SO_ACCEPTCON,
 * STREAM or SEQPACKET). Owners come from the same /proc/PID/fd scan as the TCP ones.
 */
export interface UnixListeningSocket {
  /** The bound name: a filesystem path as the binder gave it, or `@name` for an abstract one. */
  path: string;
  abstract: boolean;
  type: 'stream' | 'seqpacket';
  /** `"inode:12345"`. */
  id: string;
  /** Every pid whose fd table holds the socket. */
  owners: SocketOwner[];
  /** `/proc/net/unix`, or `/proc/PID/net/unix` for another network namespace's. */
  source: string;
}

/** Something a probe could not see, and why. Partial data is still data. */
export interface SnapshotIssue {
  probe: string;
  kind: 'access-denied' | 'vanished' | 'unavailable' | 'failed' | 'parse';
  message: string;
  pids?: number[];
}

export type ProbeStatus = 'ok' | 'unavailable' | 'failed';

export interface ProbeReport {
  probe: string;
  status: ProbeStatus;
  /** What it read (paths or argv), for the evidence trail. */
  source: string;
  message?: string;
  durationMs?: number;
}

export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  platform: Platform;
  /** ISO time the census was taken. */
  takenAt: string;
  hostname: string;
  /** The pid of the tool that took it (so it can leave itself out). */
  selfPid: number;
  /** Boot time, ISO, when known. */
  bootTime: string | null;
  processes: ProcessInfo[];
  sockets: ListeningSocket[];
  /**
   * Listening Unix-domain sockets (Linux). Absent: not collected (macOS, or a snapshot taken by an
   * older rerun-doctor).
   */
  unixSockets?: UnixListeningSocket[];
  probes: ProbeReport[];
  issues: SnapshotIssue[];
}
