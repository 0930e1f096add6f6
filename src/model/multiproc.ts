// prometheus_client multiprocess directories named by the project's processes
// (PROMETHEUS_MULTIPROC_DIR), with the pids their .db files are named for: read by the
// stale-multiproc-dir rule (docs/rules/stale-multiproc-dir.md), which tells dead pids and earlier
// runs from the census.

export interface MultiprocPidFiles {
  pid: number;
  /** `*_<pid>.db` files of that pid. */
  files: number;
  /** Of them, live-mode gauge files (gauge_live*): what mark_process_dead removes. */
  liveGauges: number;
  bytes: number;
  /** The newest modification time of its files (ISO), null when none could be stat'ed. */
  newest: string | null;
}

export interface MultiprocDir {
  /** As the environment names it. */
  dir: string;
  /** The variable that names it: `PROMETHEUS_MULTIPROC_DIR`, or the old lower-case `prometheus_multiproc_dir`. */
  key: string;
  /** The project's live processes whose environment names it. */
  pids: number[];
  /** Where it was listed from: `/proc/PID/root/DIR`, in the mount namespace of a process that names it. */
  source: string;
  /** Why it could not be listed (no such directory, access denied), or null. */
  error: string | null;
  /** `*_<pid>.db` files counted. */
  dbFiles: number;
  /** Other entries (prometheus_client writes none). */
  other: number;
  /** Per pid, the most files first; at most MAX_PIDS kept (`pidsTruncated`). */
  byPid: MultiprocPidFiles[];
  pidsTruncated: boolean;
  /** More than MAX_ENTRIES entries: the rest were not read. */
  truncated: boolean;
}
