// Who started whom: is a process's current parent the one that started it, or did it adopt it
// after its starter died? Judged by evidence only, never by the parent's name (tini, dumb-init,
// systemd --user and shells start children too). Pure. docs/attribution.md, "Adoption".
import type { Platform, ProcessInfo } from '../model/snapshot.js';
import { looksLikePython, sameExecutable } from './fingerprints.js';

/** pid 1 of a PID namespace: the host's init, or a container's (its innermost NSpid is 1). */
export function isNamespaceInit(p: ProcessInfo): boolean {
  return p.pid === 1 || p.nsPid === 1;
}

/** Inits put the services they start into their own units; a login session's scope is not one. */
const LOGIN_SCOPE = /\/session-[^/]*\.scope$/;

/**
 * Why p's current parent cannot be the process that started it, or null when it may be.
 * `pythonParent`: p is a multiprocessing child (spawn worker, tracker, forkserver, loky), which only
 * its Python main starts.
 */
export function adoptionEvidence(p: ProcessInfo, parent: ProcessInfo | undefined, alive: (pid: number) => boolean, platform: Platform, pythonParent: boolean, trackerPipe: { inode: number; tracker: number; trackerParent: number } | null = null): string | null {
  // ppid 0: a namespace's init, or a process entered from outside the namespace (docker exec):
  // its parent is not visible, so nothing can be judged. Never "adopted" without evidence.
  if (p.ppid <= 0) return null;
  if (!parent || parent.zombie) return `its parent ${p.ppid} is gone (it is being re-parented)`;
  // 1. A parent younger than the child cannot have started it (start stamps share one clock).
  if (parent.startKey > p.startKey) return `re-parented to ${parent.pid} (${parent.comm}), which started after it`;
  // 2. A child is born in its parent's session and leaves it only by setsid() (then it leads its
  // own). In a session its parent is not in, and not its own: it was started elsewhere.
  if (p.sid !== null && parent.sid !== null && p.sid > 0 && p.sid !== parent.sid && p.sid !== p.pid) {
    return `re-parented to ${parent.pid} (${parent.comm}): it is in session ${p.sid}, which ${parent.pid} is not in and it did not start`;
  }
  // 3. An init does not start processes into another process group; a child in a group whose
  // leader is dead, under the namespace's init, was left there by its starter.
  if (isNamespaceInit(parent) && p.pgid !== p.pid && p.pgid !== parent.pgid && p.pgid > 0 && !alive(p.pgid)) {
    return `re-parented to init ${parent.pid} (${parent.comm}): its group's leader ${p.pgid} is gone, and an init starts nothing into another group`;
  }
  // 4. A multiprocessing child is started by its Python main (the same interpreter).
  if (pythonParent && !looksLikePython(parent.argv, parent.comm, parent.exe) && !sameExecutable(p, parent)) {
    return `re-parented to ${parent.pid} (${parent.comm}), which is not Python: a multiprocessing child is started by its Python main`;
  }
  // 5. A resource tracker's pipe is held by every process its program started, the main
  // included, for the program's whole life (multiprocessing keeps its write end open); a process
  // holding it under a parent that does not hold it was not started by that parent. Except the
  // process that created it: the tracker's own parent.
  // And the forkserver, which hands the pipe to each child it forks and closes its own copy.
  if (trackerPipe !== null && p.pid !== trackerPipe.trackerParent && parent.pipes !== undefined && parent.pid !== trackerPipe.tracker && !parent.pipes.includes(trackerPipe.inode) && !/from multiprocessing\.forkserver import main/.test(parent.argv.join(' '))) {
    return `re-parented to ${parent.pid} (${parent.comm}): it holds the pipe of resource tracker ${trackerPipe.tracker} (pipe:[${trackerPipe.inode}]), which its program's processes hold and ${parent.pid} does not`;
  }
  // 6. Linux: a login session's cgroup under init. Init starts services in units of their own;
  // a process of a login session there was started by a shell that is gone.
  if (platform === 'linux' && isNamespaceInit(parent) && p.cgroup && LOGIN_SCOPE.test(p.cgroup)) {
    return `re-parented to init ${parent.pid} (${parent.comm}): it runs in a login session's cgroup (${p.cgroup}), and an init starts services in units of their own`;
  }
  // 7. Linux: a systemd manager (pid 1 or `systemd --user`: its own cgroup is `…/init.scope`)
  // forks only the services it runs, each into its `.service` unit; a scope (a terminal's, an
  // app's, a login session's) is populated by whatever its first process starts. A child of the
  // manager in another scope was started there by something that is gone.
  if (platform === 'linux' && parent.cgroup && /\/init\.scope$/.test(parent.cgroup) && p.cgroup && p.cgroup !== parent.cgroup && /\.scope$/.test(p.cgroup)) {
    return `re-parented to the service manager ${parent.pid} (${parent.comm}): it runs in the scope ${p.cgroup.split('/').pop()}, and a systemd manager starts processes only into service units`;
  }
  // 8. macOS: launchd starts no process on a terminal; one at ppid 1 with a tty was adopted.
  if (platform === 'darwin' && parent.pid === 1 && p.tty !== null) return `re-parented to launchd (pid 1): launchd starts nothing on a terminal (${p.tty})`;
  return null;
}

/**
 * Detached on purpose. `unit`: the daemon of a systemd unit whose start command forked it and
 * exited (Type=forking): in the unit's `.service` cgroup, adopted by the system or user manager
 * itself (whose own cgroup is `init.scope`); a process merely inheriting a `.service` cgroup from
 * the CI job or terminal it came from, adopted by anything else, is not one. `session`: it leads
 * its own session (setsid, daemon(3)): a terminal multiplexer's server (tmux, screen) hosting the
 * run is running; a server that detached itself is still one whose launcher is gone (as `nohup`).
 */
export function daemonByDesign(p: ProcessInfo, parent: ProcessInfo | undefined, platform: Platform): { kind: 'unit' | 'session'; why: string } | null {
  if (p.cgroup && /\.service$/.test(p.cgroup) && parent?.cgroup && /\/init\.scope$/.test(parent.cgroup)) return { kind: 'unit', why: `runs as the daemon of the systemd unit ${p.cgroup.split('/').pop()} (its start command forked it and exited)` };
  if (platform === 'linux' || p.sid !== null) return p.sid === p.pid ? { kind: 'session', why: 'leads its own session (it detached itself: setsid, a daemon)' } : null;
  // macOS has no session ids: a launchd job leads its own group and has no terminal.
  return p.tty === null && p.pgid === p.pid ? { kind: 'session', why: 'leads its own process group with no terminal (a launchd job)' } : null;
}
