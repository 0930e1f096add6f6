// The census from a Snapshot: roles (roles.ts), who started whom (adoption.ts), runs and their
// status (runs.ts), project scope (scope.ts). Pure: no I/O, no clock. docs/attribution.md.
import type { ClassifiedProcess, Census } from '../model/census.js';
import type { ProcessInfo, Snapshot } from '../model/snapshot.js';
import { adoptionEvidence, isNamespaceInit } from './adoption.js';
import { isRerunDoctor } from './fingerprints.js';
import { assignRoles, watchedPortsByPid, wraps, type RoleGuess, type RoleOptions } from './roles.js';
import { buildRuns } from './runs.js';

export { assignRoles, watchedPortsByPid } from './roles.js';

export interface ClassifyOptions extends RoleOptions {
  /** On platforms without pipe evidence, pieces of one process group within this many seconds are one run. */
  generationGapSeconds: number;
  /**
   * The project (the config file's directory, or the cwd): runs are judged as the project's or
   * another's. null: every run counts as the project's (library use on a snapshot of one project).
   */
  projectRoot: string | null;
}

export function classify(snapshot: Snapshot, opts: ClassifyOptions): Census {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const roles = assignRoles(snapshot.processes, snapshot.sockets, opts, snapshot.selfPid, snapshot.platform);
  const trackerPipes = addTrackerKin(snapshot.processes, roles, snapshot.selfPid);
  const trackerPipeOf = (p: ProcessInfo) => {
    const inode = (p.pipes ?? []).find((i) => trackerPipes.has(i));
    if (inode === undefined) return null;
    const tracker = trackerPipes.get(inode)!;
    return { inode, tracker, trackerParent: byPid.get(tracker)?.ppid ?? -1 };
  };
  const holders = watchedPortsByPid(snapshot.sockets, opts.ports);
  const alive = (pid: number) => {
    const p = byPid.get(pid);
    return p !== undefined && !p.zombie;
  };
  const notItsCommand = initStrangers(snapshot.processes, byPid, roles, opts.serverPattern);
  const processes: ClassifiedProcess[] = snapshot.processes.map((p) => {
    const g = roles.get(p.pid);
    const adopted = g && !p.zombie ? (adoptionEvidence(p, byPid.get(p.ppid), alive, snapshot.platform, g.pythonParent, trackerPipeOf(p)) ?? notItsCommand.get(p.pid) ?? null) : null;
    // Listed field by field: an object spread of every process was the largest share of classify().
    return {
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      uid: p.uid,
      user: p.user,
      state: p.state,
      zombie: p.zombie,
      startTime: p.startTime,
      startKey: p.startKey,
      comm: p.comm,
      argv: p.argv,
      exe: p.exe,
      cwd: p.cwd,
      rssBytes: p.rssBytes,
      cpuSeconds: p.cpuSeconds,
      tty: p.tty,
      cgroup: p.cgroup,
      pipes: p.pipes,
      socketFds: p.socketFds,
      pipeFds: p.pipeFds,
      socketInodes: p.socketInodes,
      nsPid: p.nsPid,
      nsPids: p.nsPids,
      sigPnd: p.sigPnd,
      shdPnd: p.shdPnd,
      sigIgn: p.sigIgn,
      threads: p.threads,
      involuntarySwitches: p.involuntarySwitches,
      cpusAllowed: p.cpusAllowed,
      loaded: p.loaded,
      grpcThreads: p.grpcThreads,
      env: p.env,
      role: g?.role ?? null,
      kind: g?.kind ?? null,
      roleReason: g?.reason ?? null,
      adopted: adopted !== null,
      adoptedReason: adopted,
      orphan: false,
      orphanReason: null,
      generation: null,
      ports: holders.get(p.pid) ?? [],
    };
  });
  const members = processes.filter((p) => p.role !== null);
  const projectRoot = opts.projectRoot ?? null; // a JavaScript caller may leave it out
  const generations = buildRuns({ platform: snapshot.platform, all: snapshot.processes, members, projectRoot, generationGapSeconds: opts.generationGapSeconds, selfPid: snapshot.selfPid });
  return { snapshot, processes, generations, projectRoot };
}

/**
 * A resource tracker's pipe names its program: the main creates it, and only the processes
 * multiprocessing starts inherit it (fork copies, spawn children through tracker_fd); a launcher
 * started before it cannot hold it, and close_fds keeps it from subprocesses. So every process
 * holding a tracker's pipe is of the tracker's program, even one no pattern names: the main of a
 * program the patterns do not know, a Manager's server process or a fork Pool's worker (copies of
 * that main's command line).
 */
function addTrackerKin(processes: readonly ProcessInfo[], roles: Map<number, RoleGuess>, selfPid: number): Map<number, number> {
  const trackerPipes = new Map<number, number>();
  for (const p of processes) {
    const g = roles.get(p.pid);
    if (g?.role === 'helper' && /tracker$/.test(g.kind)) for (const i of p.pipes ?? []) trackerPipes.set(i, p.pid);
  }
  if (trackerPipes.size === 0) return trackerPipes;
  for (const p of processes) {
    if (roles.has(p.pid) || p.zombie || p.pid === selfPid || p.pid <= 1 || isRerunDoctor(p.argv)) continue;
    const inode = (p.pipes ?? []).find((i) => trackerPipes.has(i));
    if (inode !== undefined) roles.set(p.pid, { role: 'worker', kind: 'descendant', reason: `holds the pipe of resource tracker ${trackerPipes.get(inode)} (pipe:[${inode}]): a process of its program`, pythonParent: false });
  }
  return trackerPipes;
}

/**
 * A container's init that runs the server (tini, dumb-init, `sh -c '…'` as pid 1) runs exactly
 * the command its own command line holds, and adopts every orphan of the namespace. So among its
 * server-pattern children, once one is the command it holds, the others (whose command it does
 * not hold) were not started by it: they were re-parented to it. Only for an init, which adopts;
 * a wrapper that is not one (`poetry run`, a script entry point) may well run what it does not
 * spell out.
 */
function initStrangers(processes: readonly ProcessInfo[], byPid: Map<number, ProcessInfo>, roles: Map<number, RoleGuess>, serverPattern: RegExp): Map<number, string> {
  const out = new Map<number, string>();
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of processes) if (roles.get(p.pid)?.role === 'server') byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  for (const [ppid, kids] of byParent) {
    const init = byPid.get(ppid);
    if (!init || !isNamespaceInit(init) || !serverPattern.test(init.argv.join(' '))) continue;
    const own = kids.filter((k) => wraps(init, k));
    if (own.length === 0) continue;
    for (const k of kids) if (!own.includes(k)) out.set(k.pid, `re-parented to the init ${init.pid} (${init.comm}): it runs \`${init.argv.join(' ').slice(0, 80)}\`, which is ${own[0]!.pid}'s command, not this one's`);
  }
  return out;
}

/** Parent chain of pid, nearest first. */
export function ancestry(pid: number, byPid: Map<number, ProcessInfo>): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  const seen = new Set<number>([pid]);
  let cur = byPid.get(byPid.get(pid)?.ppid ?? -1);
  while (cur && !seen.has(cur.pid)) {
    out.push({ pid: cur.pid, comm: cur.comm });
    seen.add(cur.pid);
    if (cur.pid <= 1) break;
    cur = byPid.get(cur.ppid);
  }
  return out;
}
