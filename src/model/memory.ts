// Memory evidence: is the machine short of memory, and how much swap is in use. Machine-wide; which
// processes hold the memory is the census's (RSS) and, on macOS, footprint's (GpuProcess.footprintMiB).
// "Unavailable" (a kernel without PSI, no sysctl) is not "no pressure".

export interface MemoryEvidence {
  platform: 'linux' | 'darwin';
  /**
   * macOS: `sysctl kern.memorystatus_vm_pressure_level`, the kernel's memory pressure: 1 normal,
   * 2 warn, 4 critical (there is no 3). Null on Linux or when unread.
   */
  pressureLevel: number | null;
  /** Linux: /proc/pressure/memory `some avg10`, percent of the last 10 s some task stalled on memory. Null elsewhere or when unread. */
  psiSomeAvg10: number | null;
  /** Linux: /proc/pressure/memory `full avg10`, percent of the last 10 s every task stalled on memory. */
  psiFullAvg10: number | null;
  /** Physical memory, bytes: `hw.memsize` (macOS), MemTotal (Linux). */
  totalBytes: number | null;
  /** Linux: MemAvailable, bytes. Null on macOS (no such single figure). */
  availableBytes: number | null;
  /** Swap in use and its current size, bytes: `sysctl vm.swapusage` (macOS: grows on demand), SwapTotal − SwapFree (Linux). */
  swapUsedBytes: number | null;
  swapTotalBytes: number | null;
  /** Where each value came from. */
  sources: string[];
}

/** The macOS pressure level's name: 1 normal, 2 warn, 4 critical (sys/kern_memorystatus.h). */
export function pressureLevelName(level: number): string {
  return level === 1 ? 'normal' : level === 2 ? 'warn' : level === 4 ? 'critical' : `unknown (${level})`;
}
