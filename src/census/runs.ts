// Runs: which processes are one launch of a program, however many sessions and groups its pieces
// made, and whether anything that started it is still alive. Pure. docs/attribution.md, "Runs".
import type { ClassifiedProcess, Generation, Role, RunScope, RunStatus } from '../model/census.js';
import type { Platform, ProcessInfo } from '../model/snapshot.js';
import { daemonByDesign } from './adoption.js';
import { projectEvidence, scopeReadable } from './scope.js';

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

export interface RunInput {
  platform: Platform;
  /** Every process of the snapshot (members and not). */
  all: readonly ProcessInfo[];
  /** The members (a role), classified so far; generation, orphan and kind are filled in here. */
  members: ClassifiedProcess[];
  projectRoot: string | null;
  generationGapSeconds: number;
  /** rerun-doctor itself: what it holds is no evidence of anything. */
  selfPid: number;
}

/** Started only by their program's Python main (fingerprints with pythonParent). */
const MULTIPROCESSING_CHILDREN = new Set(['spawn-worker', 'loky-worker', 'forkserver-worker', 'resource-tracker', 'semaphore-tracker', 'forkserver', 'loky-tracker', 'torch-shm-manager']);

/** Helpers that detach themselves by design (torch_shm_manager calls setsid): alone they prove nothing. */
const DAEMONISING_HELPERS = new Set(['torch-shm-manager']);

const startSec = (p: { startTime: string }) => Date.parse(p.startTime) / 1000;

/** The run marker of `rerun-doctor run`: the innermost run id. */
function marker(p: ProcessInfo): string | null {
  const v = p.env?.RERUN_DOCTOR_RUN_ID;
  if (!v) return null;
  return v.split(',').pop() || null;
}

/** The environment a process was started with, as far as it places it (for weak kinship only). */
function envKey(p: ProcessInfo): string | null {
  const e = p.env;
  if (!e) return null;
  const parts = ['PWD', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'RERUN_DOCTOR_PROJECT'].map((k) => `${k}=${e[k] ?? ''}`);
  return parts.every((x) => x.endsWith('=')) ? null : parts.join('\0');
}

export function buildRuns(input: RunInput): Generation[] {
  const { members, all, platform } = input;
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const member = new Map(members.map((m) => [m.pid, m]));
  const alive = (pid: number) => {
    const p = byPid.get(pid);
    return p !== undefined && !p.zombie;
  };
  const uf = new UnionFind();
  const links = new Map<number, Set<string>>();
  const mark = (a: number, b: number, how: string) => {
    if (a === b) return;
    uf.union(a, b);
    for (const x of [a, b]) {
      const s = links.get(x) ?? new Set();
      s.add(how);
      links.set(x, s);
    }
  };

  // Pieces: a member and the parent that started it (adoption cuts the edge).
  for (const m of members) if (member.has(m.ppid) && !m.adopted) mark(m.pid, m.ppid, 'parent');
  // A top: where a piece hangs (its parent is not a member, or adopted it).
  const isTop = (m: ClassifiedProcess) => !member.has(m.ppid) || m.adopted;
  // Workers and helpers straight under one live main that the patterns do not know (a notebook,
  // `python job.py` with a Pool): one run, the main's. Servers and launchers under one shell are
  // separate runs (two jobs of one terminal).
  // Only multiprocessing's own children say their parent is such a main (their parent is Python
  // by construction: else they read as adopted); a main the tracker's pipe named is a member already.
  const byStarter = new Map<number, number>();
  for (const m of members) {
    if (!isTop(m) || m.adopted || !MULTIPROCESSING_CHILDREN.has(m.kind ?? '') || m.ppid <= 1) continue;
    const other = byStarter.get(m.ppid);
    if (other === undefined) byStarter.set(m.ppid, m.pid);
    else mark(m.pid, other, 'starter');
  }
  // Kin across sessions: the run marker of `rerun-doctor run`.
  const byMarker = new Map<string, number>();
  for (const m of members) {
    const k = marker(m);
    if (!k) continue;
    const other = byMarker.get(k);
    if (other === undefined) byMarker.set(k, m.pid);
    else mark(m.pid, other, 'marker');
  }
  // A dead group leader's pgid names the run it started (the leader died; its group lives on).
  // A launcher that died without job control (an IDE) leaves several runs in its one group, so the
  // group ties workers and helpers only, and only those whose fds are not known.
  const byDeadPgid = new Map<string, number>();
  for (const m of members) {
    if (m.pgid <= 0 || alive(m.pgid)) continue;
    // Servers and launchers there are separate launches: fork copies of one dead server are tied by
    // the listener or queue pipes they inherited, two launches of one command by nothing else. And
    // where fds can be read, the pipes tie one run's workers already (the tracker's reaches them
    // all): the group is evidence only without them (macOS, another user's processes).
    if (m.role === 'server' || m.role === 'launcher' || m.pipes !== undefined) continue;
    const k = `${m.pgid}`;
    const other = byDeadPgid.get(k);
    if (other === undefined) byDeadPgid.set(k, m.pid);
    else mark(m.pid, other, 'pgid');
  }
  // Fork copies of a dead server that inherited nothing shared (a Node cluster's workers talk to
  // their primary over pipes of their own): adopted, one command line in one directory, in the
  // dead group, forked within a second of each other, with nothing of their own under them. Two
  // launches of one command (an IDE's runs) are seconds apart, or have their own workers.
  const hasChildren = new Set(members.map((m) => m.ppid));
  const copyKey = new Map<string, ClassifiedProcess[]>();
  for (const m of members) {
    if (m.role !== 'server' || !m.adopted || m.zombie || m.pgid <= 0 || alive(m.pgid) || hasChildren.has(m.pid)) continue;
    const k = `${m.pgid}\0${m.argv.join('\0')}\0${m.cwd ?? ''}`;
    copyKey.set(k, [...(copyKey.get(k) ?? []), m]);
  }
  for (const list of copyKey.values()) {
    const sorted = [...list].sort((a, b) => startSec(a) - startSec(b));
    for (let i = 1; i < sorted.length; i++) if (startSec(sorted[i]!) - startSec(sorted[i - 1]!) <= 1) mark(sorted[i]!.pid, sorted[i - 1]!.pid, 'pgid');
  }
  // Shared pipes and sockets (fd 3 and up): the resource tracker's pipe reaches every worker and
  // the main; an inherited listener reaches every fork worker. A pipe that a live process outside
  // the run also holds (a launcher's leaked fd) ties nothing.
  // Such a main is its run's own, though no pattern names it: what it holds is the run's too (a
  // worker's leftover child holding the main's tracker pipe belongs to the main's running run).
  // Most processes carry no fd evidence (only the enriched ones do): no key list is built for them.
  const NONE: string[] = [];
  const keysOf = (p: ProcessInfo): string[] => {
    if (p.pipes === undefined && p.socketInodes === undefined) return NONE;
    const keys: string[] = [];
    for (const i of p.pipes ?? NONE) keys.push(`p${i}`);
    for (const i of p.socketInodes ?? NONE) keys.push(`s${i}`);
    return keys;
  };
  const foreign = new Set<string>();
  for (const p of all) {
    if (p.pipes === undefined && p.socketInodes === undefined) continue;
    if (member.has(p.pid) || byStarter.has(p.pid) || p.zombie || p.pid === input.selfPid) continue;
    for (const k of keysOf(p)) foreign.add(k);
  }
  const byInode = new Map<string, number>();
  const holders: Array<[ProcessInfo, number]> = [...members.map((m) => [m, m.pid] as [ProcessInfo, number]), ...[...byStarter].map(([main, top]) => [byPid.get(main)!, top] as [ProcessInfo, number])];
  for (const [p, as] of holders) {
    for (const k of keysOf(p)) {
      if (foreign.has(k)) continue;
      const other = byInode.get(k);
      if (other === undefined) byInode.set(k, as);
      else mark(as, other, k.startsWith('p') ? 'pipe' : 'socket');
    }
  }
  // Without fd evidence (macOS), pieces of one group whose live leader is not a member (an IDE, a
  // test runner) are one run only when they started close together.
  const byPgid = new Map<number, ClassifiedProcess[]>();
  for (const m of members) if (m.pipes === undefined && alive(m.pgid) && !member.has(m.pgid)) byPgid.set(m.pgid, [...(byPgid.get(m.pgid) ?? []), m]);
  for (const group of byPgid.values()) {
    const sorted = [...group].sort((a, b) => startSec(a) - startSec(b));
    for (let i = 1; i < sorted.length; i++) if (startSec(sorted[i]!) - startSec(sorted[i - 1]!) <= input.generationGapSeconds) mark(sorted[i]!.pid, sorted[i - 1]!.pid, 'start-time');
  }

  // Liveness of a piece: its top's starter is alive (the parent started it), or it detached itself.
  const topLive = (m: ClassifiedProcess): { live: boolean; why: string; starter: ProcessInfo | null } => {
    if (!m.adopted) {
      const parent = byPid.get(m.ppid);
      if (!parent) return { live: true, why: 'its parent is outside this view (another PID namespace)', starter: null };
      return { live: true, why: `started by ${parent.comm} ${parent.pid}, which is alive`, starter: parent };
    }
    if ((m.role === 'server' || m.role === 'launcher') && !m.zombie) {
      const d = daemonByDesign(m, byPid.get(m.ppid), platform);
      if (d && (d.kind === 'unit' || m.role === 'launcher')) return { live: true, why: `${m.role} ${m.pid} ${d.why}: it runs on purpose`, starter: null };
    }
    return { live: false, why: m.adoptedReason ?? 'its starter is gone', starter: null };
  };

  const groupsOf = () => {
    const g = new Map<number, ClassifiedProcess[]>();
    for (const m of members) {
      const r = uf.find(m.pid);
      const list = g.get(r) ?? [];
      list.push(m);
      g.set(r, list);
    }
    return [...g.values()];
  };
  const liveGroup = (ms: ClassifiedProcess[]) => ms.some((m) => isTop(m) && !m.zombie && topLive(m).live);

  // Weak kinship: a daemonising helper alone (torch_shm_manager whose client exited) joins the run
  // it was started with, by environment; a live candidate wins, so it is never taken from a live run.
  for (const g of groupsOf()) {
    // Only one left alone: a helper whose starter lives is in its starter's run already.
    if (!g.every((m) => DAEMONISING_HELPERS.has(m.kind ?? '') && (!isTop(m) || m.adopted))) continue;
    const key = envKey(g[0]!);
    if (!key) continue;
    const first = Math.min(...g.map(startSec));
    const candidates = groupsOf().filter((o) => o !== g && !o.every((m) => DAEMONISING_HELPERS.has(m.kind ?? '')) && o.some((m) => envKey(m) === key) && Math.min(...o.map(startSec)) <= first);
    if (candidates.length === 0) continue;
    const live = candidates.filter(liveGroup);
    const pool = live.length > 0 ? live : candidates;
    const pick = pool.sort((a, b) => Math.min(...b.map(startSec)) - Math.min(...a.map(startSec)))[0]!;
    mark(g[0]!.pid, pick[0]!.pid, 'environment');
  }

  // Runs in the order they started: by their first process that is not a launcher. A launcher may
  // be far older than the run it holds now (a restart loop, a supervisor script that started the
  // killed run too), and is not when the run began.
  const began = (ms: ClassifiedProcess[]) => ms.find((m) => m.role !== 'launcher') ?? ms[0]!;
  const ordered = groupsOf()
    .map((ms) => ms.sort((a, b) => startSec(a) - startSec(b) || a.pid - b.pid))
    .sort((a, b) => startSec(began(a)) - startSec(began(b)) || began(a).pid - began(b).pid);

  const runs: Generation[] = ordered.map((ms, i) => {
    const id = i + 1;
    for (const m of ms) m.generation = id;
    const tops = ms.filter((m) => isTop(m) && !m.zombie);
    // Fork copies of a dead server: two or more adopted tops with one server command line, tied
    // together, were forked by the same parent, which is gone (a killed gunicorn or Pool main).
    // Judged before liveness: a copy that called setsid leads its own session, yet is no daemon.
    const copies = new Map<string, ClassifiedProcess[]>();
    for (const t of tops) if (t.role === 'server' && t.adopted) copies.set(t.argv.join('\0'), [...(copies.get(t.argv.join('\0')) ?? []), t]);
    for (const list of copies.values()) {
      if (list.length < 2) continue;
      for (const t of list) {
        t.role = 'worker';
        t.kind = 'fork-worker';
        t.roleReason = `a copy of one server command line (${list.length} in this run, tied by ${[...(links.get(t.pid) ?? [])].join(', ') || 'kinship'}): forked by a server that is gone`;
      }
    }
    const liveTops = tops.map((t) => ({ t, ...topLive(t) })).filter((x) => x.live);
    const running = liveTops.length > 0;
    const structural = tops.filter((t) => !DAEMONISING_HELPERS.has(t.kind ?? ''));
    const server = ms.find((m) => m.role === 'server' && !m.zombie) ?? null;
    let status: RunStatus;
    let statusReason: string;
    if (running) {
      status = 'running';
      statusReason = liveTops[0]!.why;
    } else {
      // Whole: one process, alive, with everything else under it by parent chain (a grandchild a
      // subreaper launcher adopted is under it still): the server (or a launcher above it), or the
      // main of a program no pattern names (tied in by its tracker's pipe), as `nohup … &` or a
      // killed IDE leaves it.
      const under = (top: ClassifiedProcess) => ms.every((m) => m === top || m.zombie || DAEMONISING_HELPERS.has(m.kind ?? '') || descends(m, top, byPid));
      const fits = (t: ClassifiedProcess) => (server !== null ? t === server || (t.role === 'launcher' && descends(server, t, byPid)) : t.kind === 'descendant');
      const only = structural.find((t) => !t.zombie && fits(t) && under(t)) ?? null;
      const whole = only !== null;
      if (whole) {
        status = 'detached';
        statusReason = `its launcher is gone (${only!.adoptedReason ?? 'adopted'}); ${server ? `server ${server.pid}` : `its main ${only!.pid}`} runs on with everything under it`;
      } else {
        status = 'orphaned';
        const first = structural[0] ?? tops[0];
        statusReason = `its main process is gone: ${ms.filter((m) => !m.zombie).length} process${ms.length === 1 ? '' : 'es'} left behind${first?.adoptedReason ? ` (${first.pid}: ${first.adoptedReason})` : ''}`;
      }
    }
    const dead = status !== 'running';
    if (dead) markOrphans(ms, member);
    const counts: Record<Role, number> = { server: 0, worker: 0, helper: 0, launcher: 0 };
    for (const m of ms) if (m.role && !m.zombie) counts[m.role]++;
    const how = new Set<string>();
    for (const m of ms) for (const l of links.get(m.pid) ?? []) how.add(l);
    const starter = liveTops.find((x) => x.starter)?.starter ?? null;
    return {
      id,
      status,
      dead,
      current: false,
      statusReason,
      ...scopeOf(ms, input.projectRoot, server),
      shadowed: false,
      evidence: ms.every((m) => DAEMONISING_HELPERS.has(m.kind ?? '')) && !how.has('pipe') && !how.has('socket') && !how.has('marker') && !how.has('pgid') ? 'weak' : 'strong',
      startedAt: began(ms).startTime,
      serverPid: server?.pid ?? null,
      tops: tops.map((t) => t.pid).sort((a, b) => a - b),
      startedBy: starter ? { pid: starter.pid, comm: starter.comm } : null,
      pids: ms.map((m) => m.pid),
      pgids: [...new Set(ms.map((m) => m.pgid))].sort((a, b) => a - b),
      counts,
      orphans: ms.filter((m) => m.orphan).length,
      linkedBy: [...how].sort(),
      groupmates: dead ? groupmatesOf(ms, all, member, alive) : [],
      pythonGuard: ms.filter((m) => !m.zombie && m.env?.RERUN_DOCTOR_GUARD === '1').map((m) => m.pid),
    };
  });
  // A dead run beside a newer run of the same project is stale, not running on purpose.
  // Newer: another run of the project with a server started after this run began (a run's own
  // start is its first process's, which for a long-lived launcher can be old).
  const lastServer = new Map<number, number>();
  for (const m of members) if (m.role === 'server' && !m.zombie && m.generation !== null) lastServer.set(m.generation, Math.max(lastServer.get(m.generation) ?? 0, Date.parse(m.startTime)));
  // The same project: this one's, or for another project's runs the same working directory.
  const sameProject = (a: Generation, b: Generation) => (a.scope === 'project' ? b.scope === 'project' : a.scope === 'other' && b.scope === 'other' && a.cwd !== null && a.cwd === b.cwd);
  for (const r of runs) {
    if (r.dead) r.shadowed = runs.some((o) => o !== r && sameProject(r, o) && Math.max(Date.parse(o.startedAt), lastServer.get(o.id) ?? 0) > Date.parse(r.startedAt));
  }
  const current = [...runs].reverse().find((r) => r.status === 'running' && r.scope === 'project' && r.serverPid !== null);
  if (current) current.current = true;
  return runs;
}

/** Live processes outside every run in a dead group of this run's, in its session: shown, never ended. */
function groupmatesOf(ms: ClassifiedProcess[], all: readonly ProcessInfo[], member: Map<number, ClassifiedProcess>, alive: (pid: number) => boolean): number[] {
  const groups = new Set(ms.filter((m) => m.pgid > 1 && !alive(m.pgid)).map((m) => `${m.pgid}:${m.sid}`));
  if (groups.size === 0) return [];
  return all.filter((p) => !member.has(p.pid) && !p.zombie && groups.has(`${p.pgid}:${p.sid}`)).map((p) => p.pid).sort((a, b) => a - b);
}

function descends(p: ProcessInfo, ancestor: ProcessInfo, byPid: Map<number, ProcessInfo>): boolean {
  const seen = new Set<number>();
  for (let cur = byPid.get(p.ppid); cur && !seen.has(cur.pid); cur = byPid.get(cur.ppid)) {
    if (cur.pid === ancestor.pid) return true;
    seen.add(cur.pid);
  }
  return false;
}

/**
 * In a dead run: adopted members are orphans, and so is what sits under an orphaned worker or
 * helper (a forkserver's workers). What sits under an orphaned server is not: the server is.
 */
function markOrphans(ms: ClassifiedProcess[], member: Map<number, ClassifiedProcess>): void {
  for (const m of ms) {
    if (m.zombie || !m.adopted) continue;
    m.orphan = true;
    m.orphanReason = m.adoptedReason;
  }
  for (const m of ms) {
    if (m.zombie || m.orphan) continue;
    const seen = new Set<number>();
    for (let cur = member.get(m.ppid); cur && !seen.has(cur.pid); cur = cur.adopted ? undefined : member.get(cur.ppid)) {
      seen.add(cur.pid);
      if (cur.role === 'server' || cur.role === 'launcher') break;
      if (cur.orphan) {
        m.orphan = true;
        m.orphanReason = `its ${cur.kind ?? cur.role} ${cur.pid} is orphaned (its main process is gone)`;
        break;
      }
    }
  }
}

function scopeOf(ms: ClassifiedProcess[], root: string | null, server: ClassifiedProcess | null): { scope: RunScope; cwd: string | null } {
  const cwd = server?.cwd ?? ms.find((m) => m.cwd !== null)?.cwd ?? null;
  if (root === null) return { scope: 'project', cwd };
  // The run's own processes decide; a launcher's (a tmux server started elsewhere, whose PWD is
  // where it was started) only when none of theirs can be read.
  const live = ms.filter((m) => !m.zombie);
  const own = live.filter((m) => m.role !== 'launcher' && scopeReadable(m));
  const judged = own.length > 0 ? own : live;
  if (judged.some((m) => projectEvidence(m, root) !== null)) return { scope: 'project', cwd };
  return { scope: judged.some(scopeReadable) ? 'other' : 'unknown', cwd };
}
