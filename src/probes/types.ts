// What a platform's probes provide. Adding a platform = new files implementing these.
import type { Host } from '../host/host.js';
import type { ProcScanResult } from '../host/proc-scan.js';
import type { Outcome } from '../model/outcome.js';
import type { ListeningSocket, ProcessInfo } from '../model/snapshot.js';

/**
 * What a census's rows need besides each process (the boot time, the user names, the page size):
 * read ahead by the census while its proc scan runs (probes/collect.ts, readProcessBasics).
 * bootTime: the error reading it gave, if it failed.
 */
export interface ProcessBasics {
  bootTime: number | Error;
  users: Map<number, string>;
  pageSize: number;
}

export interface ProcessProbeOptions {
  /**
   * Which pids need the expensive extras (cwd, exe on macOS; cgroup and pipe inodes on Linux).
   * Called with the basic rows; returns the pids to enrich. Default: none. It may wait (Linux: for
   * the fd scan that runs beside the basic pass, whose socket owners it needs: probes/collect.ts).
   */
  enrich?: (basic: ProcessInfo[]) => Set<number> | Promise<Set<number>>;
  /** Linux: every pid's stat, cmdline and fd links, already read by the census's proc scan (host/proc-scan.ts). */
  scanned?: ProcScanResult;
  /** Linux: the boot time, user names and page size, read while that scan ran (else read by the probe). */
  basics?: ProcessBasics;
}

export type ProcessProbe = (host: Host, opts: ProcessProbeOptions) => Promise<Outcome<ProcessInfo[]>>;
export type SocketProbe = (host: Host) => Promise<Outcome<ListeningSocket[]>>;

export interface GpuProbeOptions {
  /**
   * The suspect pids (a run's processes, its orphans). NVIDIA: when nvidia-smi lists no compute
   * process, only these pids' fd tables are searched for /dev/nvidia* (default: every pid).
   * Apple: `footprint` runs for these pids only (default: none; it is slow and needs root for
   * other users' processes).
   */
  pids?: number[];
}
