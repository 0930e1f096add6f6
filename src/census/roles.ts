// Roles: what each process is to a run (server, worker, helper, launcher), from its argv, the
// watched ports, and descent. Pure. docs/attribution.md, "Roles".
import type { Role } from '../model/census.js';
import type { ListeningSocket, Platform, ProcessInfo } from '../model/snapshot.js';
import { adoptionEvidence } from './adoption.js';
import { isRerunDoctor, isRunWatchdog, joinedCommand, launcherName, matchFingerprint } from './fingerprints.js';

export interface RoleOptions {
  serverPattern: RegExp;
  workerPatterns: RegExp[];
  /** Watched ports: a process holding one is a server (unless a fingerprint or its ancestry says worker). */
  ports: number[];
}

export interface RoleGuess {
  role: Role;
  kind: string;
  reason: string;
  /** Only a Python (multiprocessing) parent starts it: any other parent means its starter is gone. */
  pythonParent: boolean;
}

export function watchedPortsByPid(sockets: readonly ListeningSocket[], ports: number[]): Map<number, number[]> {
  const watched = new Set(ports);
  const out = new Map<number, number[]>();
  for (const s of sockets) {
    if (!watched.has(s.port)) continue;
    for (const o of s.owners) {
      const list = out.get(o.pid) ?? [];
      if (!list.includes(s.port)) list.push(s.port);
      out.set(o.pid, list.sort((a, b) => a - b));
    }
  }
  return out;
}

const base = (s: string | undefined) => (s ?? '').split('/').pop() ?? '';

/**
 * A wrapper's command line holds the command it runs: `timeout 3600 python -m src.main`,
 * `sh -c 'python -m src.main; echo'`, `python3 /usr/bin/poetry run python -m src.main`. The
 * wrapper may resolve argv[0] differently (`python` → `/venv/bin/python3`), so only the rest of
 * the inner command line must appear in the outer one (or, with no arguments, its name).
 */
export function wraps(outer: ProcessInfo, inner: ProcessInfo): boolean {
  // setproctitle pads cmdline with NULs: empty arguments say nothing.
  const words = (p: ProcessInfo) => p.argv.filter((a) => a !== '');
  const o = words(outer).join(' ');
  const i = words(inner);
  if (i.length === 0 || o === i.join(' ')) return false;
  const rest = i.slice(1).join(' ');
  return rest === '' ? o.includes(base(i[0])) : o.includes(rest);
}

/**
 * forkserver children are plain forks, so they carry the forkserver's own argv. The forkserver
 * itself holds its listener and its alive pipe on the fds its argv names (`main(3, 5, …)`: a
 * socket on fd 3, a pipe on fd 5); its children closed both. A child can reuse those numbers (a
 * new fd takes the lowest free one), but not as that socket and that pipe at once. Without fd
 * evidence (macOS, access denied), a child of a forkserver-argv process is a worker.
 */
function isForkserverChild(p: ProcessInfo, parentDirect: RoleGuess | undefined): boolean {
  if (parentDirect?.kind === 'forkserver') return true;
  if (p.socketFds === undefined) return false;
  const m = /forkserver import main;\s*main\((\d+),\s*(\d+)/.exec(p.argv.join(' '));
  if (!m) return false;
  const holdsListener = p.socketFds.includes(Number(m[1]));
  const holdsAlive = p.pipeFds === undefined || p.pipeFds.includes(Number(m[2]));
  return !(holdsListener && holdsAlive);
}

/** Step 1's verdict on a command line alone: a role (fingerprint, worker pattern), a server-pattern candidate, or nothing. */
type ArgvVerdict = RoleGuess | 'candidate' | null;

function argvVerdict(p: ProcessInfo, opts: RoleOptions): ArgvVerdict {
  const cmd = joinedCommand(p.argv, p.comm);
  const fp = matchFingerprint(cmd, p.comm);
  if (fp) return { role: fp.role, kind: fp.kind, reason: fp.why, pythonParent: fp.pythonParent };
  const wp = opts.workerPatterns.find((re) => re.test(cmd));
  if (wp) return { role: 'worker', kind: 'pattern-worker', reason: `matches worker pattern /${wp.source}/`, pythonParent: false };
  return opts.serverPattern.test(cmd) ? 'candidate' : null;
}

// The verdicts of the last call on a table of processes, by place: a census calls assignRoles
// twice on the same array of rows (census.ts: on the basic rows, then on the same rows enriched),
// and enrichment adds evidence, never a command line; so the second call takes each verdict whose
// row still has the same argv array (never changed in place: a new command line is a new array)
// and comm, under the same patterns, instead of matching every command line again (issue 12).
// Weak: a census's rows go, and their verdicts with them.
interface Verdicts {
  serverPattern: RegExp;
  workers: RegExp[];
  argv: Array<string[] | undefined>;
  comm: string[];
  v: ArgvVerdict[];
}
const lastVerdicts = new WeakMap<readonly ProcessInfo[], Verdicts>();

function verdictsFor(processes: readonly ProcessInfo[], opts: RoleOptions): Verdicts {
  let m = lastVerdicts.get(processes);
  if (!m || m.serverPattern !== opts.serverPattern || m.workers !== opts.workerPatterns) {
    m = { serverPattern: opts.serverPattern, workers: opts.workerPatterns, argv: [], comm: [], v: [] };
    lastVerdicts.set(processes, m);
  }
  return m;
}

/**
 * Every process's role, or none. Used twice: by the probes on the basic rows (to choose whom to
 * read more of) and by classify() on the full rows.
 *
 * 1. argv alone: fingerprints (spawn/forkserver/loky workers, trackers, torch_shm_manager, renamed
 *    workers), worker patterns, the server pattern, watched-port holders;
 * 2. launchers: a process matching the server pattern is a wrapper, never the server, when it runs
 *    a launcher program (by executable name) or wraps the command line of a descendant;
 * 3. descent: a server's descendants are its workers (a copy of its command line is a fork worker);
 *    a worker's or helper's descendants are part of its run too;
 * 4. a launcher is part of the run only when it is dedicated to it (its one child is part of the
 *    run): a tmux server with other panes, an IDE, a terminal shell are not.
 */
export function assignRoles(processes: readonly ProcessInfo[], sockets: readonly ListeningSocket[], opts: RoleOptions, selfPid: number, platform: Platform = 'linux'): Map<number, RoleGuess> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const holders = watchedPortsByPid(sockets, opts.ports);
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    if (p.pid === p.ppid) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const direct = new Map<number, RoleGuess>();
  const candidates: ProcessInfo[] = [];
  const memo = verdictsFor(processes, opts);
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i]!;
    if (p.pid === selfPid) continue;
    let v: ArgvVerdict;
    if (memo.argv[i] === p.argv && memo.comm[i] === p.comm) v = memo.v[i]!;
    else {
      v = argvVerdict(p, opts);
      memo.argv[i] = p.argv;
      memo.comm[i] = p.comm;
      memo.v[i] = v;
    }
    if (v === 'candidate') {
      candidates.push(p);
      continue;
    }
    if (v) {
      direct.set(p.pid, v);
      continue;
    }
    const held = holders.get(p.pid);
    if (held && !isRerunDoctor(p.argv)) direct.set(p.pid, { role: 'server', kind: 'port-holder', reason: `listens on watched port ${held.join(', ')}`, pythonParent: false });
  }
  // 2. Launchers among the pattern matches: by name, or because they wrap a descendant's command.
  const candidateSet = new Set(candidates.map((c) => c.pid));
  const wrapsDescendant = (c: ProcessInfo): ProcessInfo | null => {
    const stack = [...(children.get(c.pid) ?? [])];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.pid)) continue;
      seen.add(d.pid);
      if (candidateSet.has(d.pid) && wraps(c, d)) return d;
      stack.push(...(children.get(d.pid) ?? []));
    }
    return null;
  };
  for (const c of candidates) {
    const name = launcherName(c);
    if (name) {
      direct.set(c.pid, { role: 'launcher', kind: 'launcher', reason: `${name} runs the server: a launcher, never the server`, pythonParent: false });
      continue;
    }
    const inner = wrapsDescendant(c);
    if (inner) direct.set(c.pid, { role: 'launcher', kind: 'launcher', reason: `wraps the command of ${inner.pid} (${base(inner.argv[0]) || inner.comm}): a launcher, never the server`, pythonParent: false });
    else direct.set(c.pid, { role: 'server', kind: 'server', reason: `matches server pattern /${opts.serverPattern.source}/`, pythonParent: false });
  }

  // 3. Descent, walked down from the servers (oldest first: a server under another belongs to the
  // outer one) and from every worker and helper, so a machine without any pays nothing for it.
  const roles = new Map<number, RoleGuess>();
  for (const [pid, g] of direct) if (g.role !== 'launcher') roles.set(pid, g);
  const owner = new Map<number, ProcessInfo>();
  const roots = processes
    .filter((p) => roles.has(p.pid))
    .sort((a, b) => (roles.get(a.pid)!.role === 'server' ? 0 : 1) - (roles.get(b.pid)!.role === 'server' ? 0 : 1) || a.startKey - b.startKey || a.pid - b.pid);
  for (const root of roots) {
    if (owner.has(root.pid)) continue;
    const stack = [...(children.get(root.pid) ?? [])];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (owner.has(c.pid) || c.pid === root.pid || c.pid === selfPid) continue;
      owner.set(c.pid, root);
      stack.push(...(children.get(c.pid) ?? []));
    }
  }
  for (const p of processes) {
    const anc = owner.get(p.pid);
    if (!anc) continue;
    const d = direct.get(p.pid);
    const ancRole = roles.get(anc.pid)!;
    const parentDirect = direct.get(p.ppid);
    if (d?.kind === 'forkserver' && isForkserverChild(p, parentDirect)) {
      roles.set(p.pid, { role: 'worker', kind: 'forkserver-worker', reason: "forked by the multiprocessing forkserver (it carries the forkserver's command line)", pythonParent: true });
    } else if (d && d.role !== 'server' && d.role !== 'launcher') {
      roles.set(p.pid, d);
    } else if (d && ancRole.role === 'server' && p.argv.join('\0') === anc.argv.join('\0')) {
      roles.set(p.pid, { role: 'worker', kind: 'fork-worker', reason: `a copy of server ${anc.pid}'s command line under it (forked)`, pythonParent: false });
    } else {
      roles.set(p.pid, { role: 'worker', kind: 'descendant', reason: `descendant of ${ancRole.role} ${anc.pid}`, pythonParent: false });
    }
  }
  for (const [pid, g] of direct) if (!owner.has(pid) && g.kind === 'forkserver' && isForkserverChild(byPid.get(pid)!, undefined)) roles.set(pid, { role: 'worker', kind: 'forkserver-worker', reason: "forked by the multiprocessing forkserver (it carries the forkserver's command line)", pythonParent: true });

  // 4. Dedicated launchers, innermost first (timeout → sh → python: sh is judged before timeout).
  // A rerun-doctor process among a launcher's children (the watchdog of `run`) does not count
  // against it: it belongs to the launcher.
  // One child: a wrapper runs one command (timeout, nohup, sh -c, make's recipe, a tmux pane); a
  // launcher running several (tmux with two panes) is a host of runs, not part of one.
  // A child the launcher adopted (a subreaper such as `tini -s` adopts its command's orphans) is
  // not one it runs: only the children it started count.
  const ownWatchdog = (l: ProcessInfo, k: ProcessInfo) => isRerunDoctor(l.argv) && isRunWatchdog(k.argv);
  const alive = (pid: number) => {
    const p = byPid.get(pid);
    return p !== undefined && !p.zombie;
  };
  const startedBy = (k: ProcessInfo, l: ProcessInfo) => adoptionEvidence(k, l, alive, platform, (direct.get(k.pid) ?? roles.get(k.pid))?.pythonParent ?? false) === null;
  const dedicated = (l: ProcessInfo) => {
    const kids = (children.get(l.pid) ?? []).filter((k) => !k.zombie && k.pid !== selfPid && !ownWatchdog(l, k) && startedBy(k, l));
    return kids.length === 1 && roles.has(kids[0]!.pid);
  };
  const launchers = [...direct].filter(([pid, g]) => g.role === 'launcher' && !owner.has(pid)).map(([pid]) => byPid.get(pid)!);
  const depth = (p: ProcessInfo) => {
    let d = 0;
    for (let cur = byPid.get(p.ppid); cur && d < 256; cur = byPid.get(cur.ppid)) d++;
    return d;
  };
  // `rerun-doctor run`'s watchdog belongs to the run its supervisor is part of.
  const withWatchdog = (l: ProcessInfo) => {
    for (const k of children.get(l.pid) ?? []) if (!k.zombie && k.pid !== selfPid && ownWatchdog(l, k) && !roles.has(k.pid)) roles.set(k.pid, { role: 'launcher', kind: 'launcher', reason: `part of the rerun-doctor launcher ${l.pid} (its watchdog)`, pythonParent: false });
  };
  for (const l of launchers.sort((a, b) => depth(b) - depth(a))) {
    if (!dedicated(l)) continue;
    roles.set(l.pid, direct.get(l.pid)!);
    withWatchdog(l);
  }
  // 5. Up the chain: a launcher program whose command line does not name the server (`make
  // serve`, `bash start.sh`, `nohup …` before exec) but that runs nothing but the run is its
  // launcher too, so that when it was adopted its run is seen as detached, not as started by a live
  // parent. Never an interactive shell (a terminal: `-bash`, `bash` with no script), never an init.
  // A shell with no script and no -c (only options: `bash`, `bash -i`, `-zsh`) is a terminal's.
  const interactive = (p: ProcessInfo) => {
    if ((p.argv[0] ?? '').startsWith('-')) return true;
    const rest = p.argv.slice(1).filter((a) => a !== '');
    return /^(ba|da|z|k|fi)?sh$/.test(base(p.argv[0]) || p.comm) && !rest.includes('-c') && rest.every((a) => a.startsWith('-'));
  };
  const tops = processes.filter((p) => (roles.get(p.pid)?.role === 'server' || roles.get(p.pid)?.role === 'launcher') && !owner.has(p.pid));
  for (const top of tops) {
    for (let cur = byPid.get(top.ppid); cur && cur.pid > 1 && cur.ppid > 0 && cur.pid !== selfPid && !roles.has(cur.pid); cur = byPid.get(cur.ppid)) {
      const name = launcherName(cur);
      if (!name || interactive(cur) || !dedicated(cur)) break;
      roles.set(cur.pid, { role: 'launcher', kind: 'launcher', reason: `${name} runs nothing but the server's run: its launcher`, pythonParent: false });
      withWatchdog(cur);
    }
  }
  return roles;
}
