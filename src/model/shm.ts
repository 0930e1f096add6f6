// POSIX shared memory in /dev/shm: what the shm probe read (src/probes/shm.linux.ts), judged by
// src/census/shm.ts for the shm-leak rule and `clean --shm` (docs/rules/shm-leak.md, docs/clean.md).
// Plain JSON: part of the evidence document.

/**
 * The segments the project's Python runs make: `psm_*` (multiprocessing.shared_memory), `torch_*`
 * (torch's file_system sharing strategy, `torch_<pid>_<random>_<n>`), `sem` (`sem.mp-*`: named
 * multiprocessing semaphores of the spawn and forkserver start methods), `nccl` (`nccl*`: NCCL's
 * shared-memory transport).
 */
export type ShmKind = 'psm' | 'torch' | 'sem' | 'nccl';

/** A live process that has the segment open (an fd on it) or mapped (a line of its maps). */
export interface ShmHolder {
  pid: number;
  fd: boolean;
  map: boolean;
}

export interface ShmSegment {
  /** Its name in the directory (`psm_1f5a96af`). */
  name: string;
  kind: ShmKind;
  /** torch_<pid>_…: the pid that made it, as its own PID namespace numbers it; null for the other kinds. */
  creatorPid: number | null;
  /** Its size (st_size). */
  bytes: number;
  /** What it takes from the filesystem (st_blocks × 512: pages written to). */
  usedBytes: number;
  uid: number;
  /** Permission bits (0o600 for Python's and torch's). */
  mode: number;
  /** The file's identity, checked again right before `clean --shm` unlinks it: device (`major:minor`), inode, mtime (ms). */
  dev: string;
  ino: number;
  mtimeMs: number;
  /** When it was made (ISO): the birth time where the filesystem keeps one (statx), else its last status change. */
  createdAt: string;
  /** The latest of its modification and status-change times (ISO): a process wrote to it or resized it then. */
  changedAt: string;
  holders: ShmHolder[];
}

/**
 * Whether every process that could have the segments mapped is in view: in the machine's first PID
 * namespace, yes; in a PID namespace of its own with the machine's IPC namespace (docker --ipc=host,
 * `unshare --pid` without `--ipc`), no (the directory is then likely the machine's, and processes
 * outside cannot be seen); with its own PID and IPC namespaces (a container), yes for its own /dev/shm.
 */
export interface ShmVisibility {
  complete: boolean;
  reason: string;
}

export interface ShmUnreadable {
  /** The owner (effective uid) of the processes; null when even that could not be read. */
  uid: number | null;
  /** Processes whose fd table or maps could not be read (another user's, without root). */
  pids: number[];
}

export interface ShmEvidence {
  /** The directory read (/dev/shm; beside a --proc-root: /host/proc → /host/dev/shm). */
  dir: string;
  /** statfs of its filesystem; null when it could not be read (an issue says why). */
  usage: { totalBytes: number; usedBytes: number; availableBytes: number; percent: number } | null;
  /** The known kinds' segments, in name order, up to the listing limit. */
  segments: ShmSegment[];
  /** Known-kind segments past the listing limit: counted, not listed, not judged. */
  unlisted: { count: number; bytes: number };
  /** Every other entry (files of other programs, directories such as joblib's memmapping folders): counted, never judged. */
  other: { count: number; bytes: number; examples: string[] };
  unreadable: ShmUnreadable[];
  visibility: ShmVisibility;
  /** Processes whose fds and maps were read (0 when there was no segment to look for). */
  scanned: number;
}

/** The kind of a /dev/shm entry by its name, or null for one that no known program of ours makes. */
export function shmKindOf(name: string): ShmKind | null {
  if (/^psm_[0-9A-Za-z]+$/.test(name)) return 'psm';
  if (/^torch_\d+_/.test(name)) return 'torch';
  if (name.startsWith('sem.mp-')) return 'sem';
  if (name.startsWith('nccl')) return 'nccl';
  return null;
}

/** torch_<pid>_<random>_<n>: the creator's pid (in its own PID namespace), else null. */
export function torchCreatorPid(name: string): number | null {
  const m = /^torch_(\d+)_/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
