// The only code in the actions that sends a signal (through host.kill). A pid is signalled only if
// it is still the process that was found (pid + start time re-read right before), and never pid ≤ 1,
// this process or an ancestor (house rule 4; psutil's Process.send_signal checks is_running() first).
// Node has no pidfd_send_signal, so a pid could still be reused in the microseconds between the
// re-read and kill(2); the start-time check closes every wider window.
import { refKey, type ProcessRef } from '../../model/process-ref.js';
import { checkSame, listProcesses, readIdentity, type ControlHost, type ProcessIdentity } from './identity.js';

export type SignalResult = 'sent' | 'gone' | 'changed' | 'denied' | 'refused';

function deliver(host: ControlHost, target: number, signal: NodeJS.Signals): 'sent' | 'gone' | 'denied' {
  const r = host.kill(target, signal);
  return r === 'ok' ? 'sent' : r;
}

/** pid → parent chain of `from` inside a listing: from, its parent, …, up to 1 (pure). */
export function ancestryIn(byPid: ReadonlyMap<number, Pick<ProcessIdentity, 'ppid'>>, from: number): number[] {
  const out: number[] = [];
  let pid = from;
  for (let i = 0; i < 1000 && pid > 0 && !out.includes(pid); i++) {
    out.push(pid);
    const p = byPid.get(pid);
    if (!p) break;
    pid = p.ppid;
  }
  return out;
}

/**
 * pids never to signal: 0, 1, this process and each of its ancestors (a shell, an IDE, tmux, the
 * init of a container). Linux walks /proc/PID/stat upwards; macOS reads one ps listing.
 */
export async function protectedPids(host: ControlHost): Promise<Set<number>> {
  const out = new Set<number>([0, 1, host.selfPid]);
  if (host.platform === 'linux') {
    let pid = host.selfPid;
    for (let i = 0; i < 1000 && pid > 1; i++) {
      const id = await readIdentity(host, pid, { argv: false });
      if (!id || id === 'denied') break;
      out.add(id.ppid);
      pid = id.ppid;
    }
    return out;
  }
  try {
    const list = await listProcesses(host);
    for (const pid of ancestryIn(new Map(list.map((p) => [p.pid, p])), host.selfPid)) out.add(pid);
  } catch {
    /* no listing: 0, 1 and ourselves are still protected; signalIfSame re-reads every target anyway */
  }
  return out;
}

/**
 * Sends `signal` to `ref` only if it is still the same process. 'refused' for pid ≤ 1, this
 * process, its ancestors and `protect` (computed here when not given); otherwise the identity is
 * re-read and the result says why nothing was sent ('gone', 'changed', 'denied'), or 'sent'.
 */
export async function signalIfSame(host: ControlHost, ref: ProcessRef, signal: NodeJS.Signals, opts: { protect?: ReadonlySet<number> } = {}): Promise<SignalResult> {
  if (!Number.isInteger(ref.pid) || ref.pid <= 1 || ref.pid === host.selfPid) return 'refused';
  const protect = opts.protect ?? (await protectedPids(host));
  if (protect.has(ref.pid)) return 'refused';
  const now = await checkSame(host, ref);
  if (now !== 'same') return now;
  return deliver(host, ref.pid, signal);
}

/**
 * A signal to a whole process group, as a terminal delivers Ctrl-C: only while the group still has
 * a member (a group id cannot be handed to a new process while any member lives: POSIX setpgid(2),
 * and Linux/BSD pid allocation skip ids in use as a pgid). When `leader` is given (its ref, or
 * 'reaped' when we know it is gone) and a process leading a group of that id exists that is not the
 * leader, the id now names someone else's group: 'changed'. Our own group and our ancestors'
 * groups are 'refused'.
 */
export async function signalGroup(host: ControlHost, pgid: number, signal: NodeJS.Signals, opts: { leader?: ProcessRef | 'reaped'; protect?: ReadonlySet<number> } = {}): Promise<SignalResult> {
  if (!Number.isInteger(pgid) || pgid <= 1) return 'refused';
  let list: ProcessIdentity[];
  try {
    list = await listProcesses(host);
  } catch {
    return 'denied';
  }
  const byPid = new Map(list.map((p) => [p.pid, p]));
  const protect = opts.protect ?? new Set(ancestryIn(byPid, host.selfPid));
  for (const pid of [host.selfPid, ...protect]) {
    const p = byPid.get(pid);
    if (pid === pgid || (p && p.pgid === pgid)) return 'refused';
  }
  const holder = byPid.get(pgid);
  const leader = opts.leader;
  if (leader && holder && holder.pgid === pgid && (leader === 'reaped' || refKey(holder) !== refKey(leader))) return 'changed';
  if (!list.some((p) => p.pgid === pgid)) return 'gone';
  return deliver(host, -pgid, signal);
}

/** Our own child as Node holds it: `unreaped()` is true until its exit has been collected (waitpid). */
export interface OwnChild {
  pid: number;
  unreaped(): boolean;
}

/**
 * A signal to a child we spawned (or to its group, when it leads one), without a re-read: until
 * Node has reaped it, its pid cannot belong to anyone else, nor its group id. Once reaped: 'gone'
 * for the process; for the group, signalGroup's check decides (members may outlive the leader).
 */
export async function signalOwnChild(host: ControlHost, child: OwnChild, signal: NodeJS.Signals, opts: { group?: boolean } = {}): Promise<SignalResult> {
  if (child.unreaped()) return deliver(host, opts.group ? -child.pid : child.pid, signal);
  return opts.group ? signalGroup(host, child.pid, signal, { leader: 'reaped' }) : 'gone';
}
