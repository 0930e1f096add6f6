// Where each kind of evidence comes from on each platform, for the `source` of an evidence line:
// the rules run on Linux and macOS snapshots alike (and on replays of either), so they name the
// source through this table, never as a literal /proc path.
import type { Platform } from '../../model/snapshot.js';

export interface Sources {
  /** One process's row. */
  process(pid: number): string;
  /** Parents, sessions, groups and shared fds: what ties runs together. */
  kinship: string;
  /** The listening sockets. */
  sockets: string;
  /** The whole process table (counts). */
  processTable: string;
  /** CPU time per process over a window. */
  cpuTime: string;
  /** Throttle counters, clocks and cooling devices. */
  cpuThrottle(cpu: number): string;
  cpuFrequency: string;
  cooling: string;
  /** Who holds a shared-memory segment. */
  shmHolders: string;
}

const LINUX: Sources = {
  process: (pid) => `/proc/${pid}/stat, /proc/${pid}/cmdline`,
  kinship: '/proc (parents, sessions, groups, pipes, sockets)',
  sockets: '/proc/net/tcp{,6}',
  processTable: '/proc (census)',
  cpuTime: '/proc/PID/stat (utime + stime over the window)',
  cpuThrottle: (cpu) => `/sys/devices/system/cpu/cpu${cpu}/thermal_throttle`,
  cpuFrequency: '/sys/devices/system/cpu/cpu*/cpufreq',
  cooling: '/sys/class/thermal/cooling_device*',
  shmHolders: '/proc/*/maps, /proc/*/fd',
};

const DARWIN: Sources = {
  process: (pid) => `ps -o pid,ppid,pgid,lstart,command -p ${pid}`,
  kinship: 'ps (parents, groups, start times)',
  sockets: 'lsof -F',
  processTable: 'ps -axo (census)',
  cpuTime: 'ps -o time (CPU time over the window)',
  cpuThrottle: () => 'pmset -g therm',
  cpuFrequency: 'pmset -g therm',
  cooling: 'pmset -g therm',
  shmHolders: 'shm_open (not listable on macOS)',
};

export function sourcesFor(platform: Platform): Sources {
  return platform === 'darwin' ? DARWIN : LINUX;
}
