// What `run` and `guard` report of a supervised command: the processes it left behind and how each
// got away, and the sockets they listen on (src/actions/supervise.ts finds them).
import type { ProcessIdentity } from './process-ref.js';

export interface Leftover extends ProcessIdentity {
  /** Left the command's session (setsid or a daemon's double fork). Linux only: macOS shows no session. */
  newSession: boolean;
  /** In the session but another process group (setpgid). Linux only. */
  newGroup: boolean;
  /** macOS: in another process group than the command's (setsid or setpgid: the session is not shown). */
  leftGroup: boolean;
  /** Its parent is no longer a process of the run (re-parented to init, launchd or a subreaper). */
  orphaned: boolean;
}

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

/** How it got away, as the leftover lists say it. */
export function escapeNotes(l: Leftover): string[] {
  return [
    l.newSession ? 'new session (setsid)' : null,
    l.newGroup ? 'new process group' : null,
    l.leftGroup ? 'left the process group (setsid or setpgid)' : null,
    l.orphaned ? 'orphaned' : null,
  ].filter((s): s is string => s !== null);
}
