// A process is (pid, start time), as psutil's Process is (pid, create_time): a pid alone is reused
// by the kernel, the pair is not (psutil `Process.is_running()` compares both; psutil#2366).

export interface ProcessRef {
  pid: number;
  /**
   * Platform-exact start stamp, the same key a census gives (ProcessInfo.startKey): Linux, field 22
   * of /proc/PID/stat (clock ticks since boot); macOS, `ps -o lstart` read in UTC, epoch seconds.
   */
  startKey: number;
}

/** `"4242:1234567"`: one string per process, for maps and sets. */
export function refKey(ref: ProcessRef): string {
  return `${ref.pid}:${ref.startKey}`;
}

export function sameRef(a: ProcessRef, b: ProcessRef): boolean {
  return a.pid === b.pid && a.startKey === b.startKey;
}
