// Unix socket files on disk (src/probes/socket-files.ts): where rerun-doctor looked and what it
// found there. A socket file outlives the socket bound to it (close() and death never unlink it),
// and the next bind() on its path fails with EADDRINUSE: the port-held rule reports the ones
// nothing listens on (docs/rules/port-held.md).

/**
 * listening: a listening unix socket in /proc/net/unix has this path; answered: none seen here,
 * but connect() reached a listener (another network namespace's, or one bound by a relative path);
 * refused: connect() was refused (ECONNREFUSED): nothing listens on it, the file is stale;
 * unchecked: connect() failed otherwise (its reason in `detail`).
 */
export type SocketFileState = 'listening' | 'answered' | 'refused' | 'unchecked';

export interface SocketFile {
  /** The path as a process names it or as a listing found it (in that process's mount namespace). */
  path: string;
  /** What was read: the path itself, or /proc/PID/root/PATH for another mount namespace's. */
  source: string;
  /** Why it was looked at: `named by pid 123 (argv)`, `listing of /tmp`. */
  why: string;
  /** The pids whose argv or environment name it (empty: found by a listing). */
  namedBy: number[];
  inode: number;
  uid: number;
  /** Modification time (ISO): about when it was bound. */
  mtime: string;
  state: SocketFileState;
  detail: string | null;
}

export interface SocketFileLook {
  /** A directory listed (depth 1), or a path named by a process. */
  path: string;
  kind: 'directory' | 'named';
  why: string;
  /** Names read (directories). */
  read: number;
  truncated: boolean;
  /** Why it could not be read (no such file, access denied, not a socket), or null. */
  error: string | null;
}

export interface SocketFileEvidence {
  files: SocketFile[];
  looked: SocketFileLook[];
  /** More socket files were found than are kept (MAX_FILES). */
  truncated: boolean;
}
