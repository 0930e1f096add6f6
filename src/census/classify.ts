// Roles, orphans and generations: pure functions over a Snapshot (no I/O, no clock).
import type { ClassifiedProcess, Generation, Census, Role } from '../model/census.js';
import type { ProcessInfo, Snapshot } from '../model/snapshot.js';
import { joinedCommand, looksLikePython, looksLikeSubreaper, matchFingerprint } from './fingerprints.js';

export interface ClassifyOptions {
  serverPattern: RegExp;
  workerPatterns: RegExp[];
  /** Watched ports: a process holding one is a server (unless a fingerprint or its ancestry says worker). */
  ports: number[];
  /** On platforms without pipe evidence, orphaned pieces of one process group within this many seconds are one run. */
  generationGapSeconds: number;
}

interface RoleGuess {
  role: Role;
  kind: string;
  reason: string;
  pythonParent: boolean;
}

function startSeconds(p: ProcessInfo): number {
  return Date.parse(p.startTime) / 1000;
}

/** Roles from argv alone and from watched ports; descent is applied after. */
function directRole(p: ProcessInfo, opts: ClassifyOptions, portHolders: Map<number, number[]>): RoleGuess | null {
  const cmd = joinedCommand(p.argv, p.comm);
  const fp = matchFingerprint(cmd, p.comm);
  if (fp) return { role: fp.role, kind: fp.kind, reason: fp.why, pythonParent: fp.pythonParent };
  for (const re of opts.workerPatterns) {
    if (re.test(cmd)) return { role: 'worker', kind: 'pattern-worker', reason: `matches worker pattern /${re.source}/`, pythonParent: false };
  }
  if (opts.serverPattern.test(cmd)) return { role: 'server', kind: 'server', reason: `matches server pattern /${opts.serverPattern.source}/`, pythonParent: false };
  const held = portHolders.get(p.pid);
  if (held) return { role: 'server', kind: 'port-holder', reason: `listens on watched port ${held.join(', ')}`, pythonParent: false };
  return null;
}

export function watchedPortsByPid(snapshot: Snapshot, ports: number[]): Map<number, number[]> {
  const watched = new Set(ports);
  const out = new Map<number, number[]>();
  for (const s of snapshot.sockets) {
    if (!watched.has(s.port)) continue;
    for (const o of s.owners) {
      const list = out.get(o.pid) ?? [];
      if (!list.includes(s.port)) list.push(s.port);
      out.set(o.pid, list.sort((a, b) => a - b));
    }
  }
  return out;
}

/**
 * The pids whose roles can be told from basic rows: used by the probes to decide whom to
 * enrich (exe, cwd, pipes), and the first step of classify().
 */
export function assignRoles(processes: ProcessInfo[], sockets: Snapshot['sockets'], opts: ClassifyOptions, selfPid: number): Map<number, RoleGuess> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const holders = watchedPortsByPid({ sockets } as Snapshot, opts.ports);
  const direct = new Map<number, RoleGuess>();
  for (const p of processes) {
    if (p.pid === selfPid) continue;
    const g = directRole(p, opts, holders);
    if (g) direct.set(p.pid, g);
  }
  // Descent: a server's descendants are its workers (fork children carry the server's own argv,
  // so a pattern match under a server is a fork worker, not a second server). Walked down from
  // the servers, so a machine without one pays nothing for it.
  const serverAncestor = new Map<number, ProcessInfo>();
  const servers = processes.filter((p) => direct.get(p.pid)?.role === 'server');
  if (servers.length > 0) {
    const children = new Map<number, ProcessInfo[]>();
    for (const p of processes) {
      if (p.pid === p.ppid) continue;
      const list = children.get(p.ppid);
      if (list) list.push(p);
      else children.set(p.ppid, [p]);
    }
    // Oldest server first: a server under another server belongs to the outer one.
    for (const srv of servers.sort((a, b) => a.startKey - b.startKey)) {
      if (serverAncestor.has(srv.pid)) continue;
      const stack = [...(children.get(srv.pid) ?? [])];
      while (stack.length > 0) {
        const c = stack.pop()!;
        if (serverAncestor.has(c.pid) || c.pid === srv.pid) continue;
        serverAncestor.set(c.pid, srv);
        stack.push(...(children.get(c.pid) ?? []));
      }
    }
  }
  const roles = new Map<number, RoleGuess>();
  for (const p of processes) {
    if (p.pid === selfPid) continue;
    const d = direct.get(p.pid);
    const anc = serverAncestor.get(p.pid);
    if (!d && !anc) continue;
    if (d?.kind === 'forkserver' && isForkserverChild(p, byPid.get(p.ppid), direct)) {
      roles.set(p.pid, { role: 'worker', kind: 'forkserver-worker', reason: 'forked by the multiprocessing forkserver (it carries the forkserver\'s command line)', pythonParent: true });
    } else if (d && d.role !== 'server') roles.set(p.pid, d);
    else if (anc && d?.role === 'server') roles.set(p.pid, { role: 'worker', kind: 'fork-worker', reason: `child of server ${anc.pid} with its command line (fork start method)`, pythonParent: true });
    else if (d) roles.set(p.pid, d);
    else if (anc) roles.set(p.pid, { role: 'worker', kind: 'descendant', reason: `descendant of server ${anc.pid}`, pythonParent: false });
  }
  return roles;
}

/**
 * forkserver children are plain forks, so they carry the forkserver's own argv. The forkserver
 * itself holds its listener on the fd its argv names (`main(3, 5, …)`: fd 3); its children closed
 * it. Without fd evidence (macOS, access denied), a child of a forkserver-argv process is a worker.
 */
function isForkserverChild(p: ProcessInfo, parent: ProcessInfo | undefined, direct: Map<number, RoleGuess>): boolean {
  if (parent && direct.get(parent.pid)?.kind === 'forkserver') return true;
  if (p.socketFds === undefined) return false;
  const m = /forkserver import main;\s*main\((\d+)/.exec(p.argv.join(' '));
  return m !== null && !p.socketFds.includes(Number(m[1]));
}

/** Why the current parent cannot be the one that started p, or null when it may be. */
function adoptedBy(p: ProcessInfo, parent: ProcessInfo | undefined, platform: Snapshot['platform']): string | null {
  if (!parent) return p.ppid <= 0 ? null : `parent ${p.ppid} is gone`;
  if (parent.pid === 1) return `reparented to pid 1 (${platform === 'darwin' ? 'launchd' : parent.comm})`;
  if (startSeconds(parent) > startSeconds(p) + 0.01) return `parent ${parent.pid} (${parent.comm}) started after it, so it adopted it`;
  if (looksLikeSubreaper(parent.argv, parent.comm)) return `reparented to subreaper ${parent.pid} (${parent.comm})`;
  return null;
}

/** Services that live at ppid 1 by design: session leaders (systemd units, launchd jobs, daemons) and systemd .service cgroups. */
function serviceByDesign(p: ProcessInfo): boolean {
  if (p.cgroup && /\.service$/.test(p.cgroup)) return true;
  if (p.sid !== null) return p.sid === p.pid;
  return p.tty === null && p.pgid === p.pid;
}

function orphanReason(p: ProcessInfo, g: RoleGuess, byPid: Map<number, ProcessInfo>, platform: Snapshot['platform']): string | null {
  if (p.zombie) return null; // a zombie holds nothing: reported as a reaping bug, not an orphan
  const parent = byPid.get(p.ppid);
  const adopted = adoptedBy(p, parent, platform);
  if (g.role === 'server') {
    if (!adopted) return null;
    if (serviceByDesign(p)) return null;
    return `${adopted}; it is not a service (not its own session leader)`;
  }
  if (adopted) return adopted;
  if (g.pythonParent && parent && !looksLikePython(parent.argv, parent.comm, parent.exe)) {
    return `its parent ${parent.pid} (${parent.comm}) is not the Python process that started it`;
  }
  return null;
}

class UnionFind {
  private parent = new Map<number, number>();
  find(x: number): number {
    let r = this.parent.get(x) ?? x;
    if (r !== x) {
      r = this.find(r);
      this.parent.set(x, r);
    }
    return r;
  }
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    this.parent.set(ra, rb);
    return true;
  }
}

function buildGenerations(procs: ClassifiedProcess[], byPid: Map<number, ProcessInfo>, opts: ClassifyOptions): Generation[] {
  const project = procs.filter((p) => p.role !== null);
  const uf = new UnionFind();
  const links = new Map<number, Set<string>>();
  const mark = (a: number, b: number, how: string) => {
    if (uf.union(a, b)) {
      for (const x of [a, b]) {
        const s = links.get(x) ?? new Set();
        s.add(how);
        links.set(x, s);
      }
    }
  };
  const inProject = new Set(project.map((p) => p.pid));
  for (const p of project) if (inProject.has(p.ppid)) mark(p.pid, p.ppid, 'parent');
  // One run's processes share its pipes (the resource tracker's pipe reaches every worker). A
  // launcher's leaked fd is inherited by every run it starts, so a pipe only ties processes of one
  // process group, and a pipe that a launcher (a non-project parent) holds too ties nothing.
  const launcherPipes = new Set<number>();
  for (const p of procs) if (p.role === null) for (const inode of p.pipes ?? []) launcherPipes.add(inode);
  const pipeOwner = new Map<string, number>();
  for (const p of project) {
    for (const inode of p.pipes ?? []) {
      if (launcherPipes.has(inode)) continue;
      const key = `${p.pgid}:${inode}`;
      const other = pipeOwner.get(key);
      if (other === undefined) pipeOwner.set(key, p.pid);
      else mark(p.pid, other, 'pipe');
    }
  }
  // A dead group leader's pgid names the dead run. Where the leader lives and is not one of ours
  // (a test runner, an IDE), pieces of one pgid are one run only if they started close together
  // and no pipe evidence exists (macOS).
  const byPgid = new Map<number, ClassifiedProcess[]>();
  for (const p of project) {
    const list = byPgid.get(p.pgid) ?? [];
    list.push(p);
    byPgid.set(p.pgid, list);
  }
  for (const [pgid, members] of byPgid) {
    const leader = byPid.get(pgid);
    if (!leader) {
      for (const m of members.slice(1)) mark(m.pid, members[0]!.pid, 'pgid');
    } else if (members.every((m) => m.pipes === undefined)) {
      const sorted = [...members].sort((a, b) => startSeconds(a) - startSeconds(b));
      for (let i = 1; i < sorted.length; i++) {
        if (startSeconds(sorted[i]!) - startSeconds(sorted[i - 1]!) <= opts.generationGapSeconds) mark(sorted[i]!.pid, sorted[i - 1]!.pid, 'pgid');
      }
    }
  }
  const groups = new Map<number, ClassifiedProcess[]>();
  for (const p of project) {
    const r = uf.find(p.pid);
    const list = groups.get(r) ?? [];
    list.push(p);
    groups.set(r, list);
  }
  const ordered = [...groups.values()]
    .map((members) => members.sort((a, b) => startSeconds(a) - startSeconds(b) || a.pid - b.pid))
    .sort((a, b) => startSeconds(a[0]!) - startSeconds(b[0]!) || a[0]!.pid - b[0]!.pid);
  const gens: Generation[] = ordered.map((members, i) => {
    const liveServer = members.find((m) => m.role === 'server' && !m.orphan && !m.zombie);
    const anyServer = members.find((m) => m.role === 'server' && !m.zombie);
    const counts: Record<Role, number> = { server: 0, worker: 0, helper: 0 };
    for (const m of members) if (m.role && !m.zombie) counts[m.role]++;
    const how = new Set<string>();
    for (const m of members) for (const l of links.get(m.pid) ?? []) how.add(l);
    const orphans = members.filter((m) => m.orphan).length;
    return {
      id: i + 1,
      status: liveServer ? 'older' : 'orphaned',
      startedAt: members[0]!.startTime,
      serverPid: (liveServer ?? anyServer)?.pid ?? null,
      pids: members.map((m) => m.pid),
      pgids: [...new Set(members.map((m) => m.pgid))].sort((a, b) => a - b),
      counts,
      orphans,
      linkedBy: [...how].sort(),
    };
  });
  // The newest run with a live, non-orphaned server is the current one.
  for (let i = gens.length - 1; i >= 0; i--) {
    const g = gens[i]!;
    if (g.status === 'older') {
      g.status = 'current';
      break;
    }
  }
  const classified = new Map(procs.map((p) => [p.pid, p]));
  for (const g of gens) for (const pid of g.pids) classified.get(pid)!.generation = g.id;
  return gens;
}

export function classify(snapshot: Snapshot, opts: ClassifyOptions): Census {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const roles = assignRoles(snapshot.processes, snapshot.sockets, opts, snapshot.selfPid);
  const holders = watchedPortsByPid(snapshot, opts.ports);
  const reasons = new Map<number, string>();
  for (const p of snapshot.processes) {
    const g = roles.get(p.pid);
    const r = g ? orphanReason(p, g, byPid, snapshot.platform) : null;
    if (r) reasons.set(p.pid, r);
  }
  // Left behind together: the children of an orphaned worker or helper (a forkserver's workers)
  // are orphans too. An orphaned server's own workers are not: the server is the orphan.
  const inherited = (p: ProcessInfo): string | null => {
    const seen = new Set<number>();
    let cur = byPid.get(p.ppid);
    while (cur && !seen.has(cur.pid) && cur.pid > 1) {
      seen.add(cur.pid);
      const g = roles.get(cur.pid);
      if (!g || g.role === 'server') return null;
      if (reasons.has(cur.pid)) return `its ${g.kind ?? g.role} ${cur.pid} is orphaned (its main process is gone)`;
      cur = byPid.get(cur.ppid);
    }
    return null;
  };
  const processes: ClassifiedProcess[] = snapshot.processes.map((p) => {
    const g = roles.get(p.pid);
    const reason = reasons.get(p.pid) ?? (g && !p.zombie ? inherited(p) : null);
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
      role: g?.role ?? null,
      kind: g?.kind ?? null,
      roleReason: g?.reason ?? null,
      orphan: reason !== null,
      orphanReason: reason,
      generation: null,
      ports: holders.get(p.pid) ?? [],
    };
  });
  const generations = buildGenerations(processes, byPid, opts);
  return { snapshot, processes, generations };
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
