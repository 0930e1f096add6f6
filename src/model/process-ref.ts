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

/** How one process's end went (src/actions/process/terminate.ts). */
export type TerminateOutcome =
  /** Exited after the first signal (or by itself, in a phase without one), within the grace period. */
  | 'terminated'
  /** Needed SIGKILL, and is gone. */
  | 'killed'
  /** Gone before the first signal reached it. */
  | 'already-gone'
  /** Its pid belonged to another process when it was to be signalled: nothing sent. */
  | 'identity-changed'
  /** Its identity could not be read (hidepid, EACCES; a failed ps) or the signal was refused (EPERM): nothing more sent. */
  | 'denied'
  /** Still the same process ~2 s after SIGKILL (uninterruptible sleep, a kernel hold). */
  | 'survived'
  /** pid ≤ 1, this process, an ancestor, or in `protect`: never signalled. */
  | 'refused';

/** A process as it is now: its ref plus what the actions show and group by. */
export interface ProcessIdentity extends ProcessRef {
  ppid: number;
  pgid: number;
  /** Session id; null on macOS, whose ps has no session id (its `sess` is a kernel pointer). */
  sid: number | null;
  /** One-letter state (R, S, D, T, I, U…). Never Z: a zombie reads as gone. */
  state: string;
  comm: string;
  /** Linux: exact argv; macOS: ps's joined command split on spaces (src/os/darwin/ps.ts, PsRow). Empty when unreadable or not asked for. */
  argv: string[];
}
