// Which shared-memory segments are leaked, and whose: pure, over the shm evidence and the census.
// The shm-leak rule reports from it and `clean --shm` plans from it (docs/rules/shm-leak.md has
// the reasoning; docs/clean.md what is removed).
//
// A segment is leaked when no live process has it open or mapped, every process that could is in
// view, its creator is gone (torch_<pid>_… names it; the others do not), and no live run was there
// when it was made or last written: a live run's segment may be closed and reopened by name later,
// or kept by its resource tracker (which unlinks it when the run ends). Whose it is comes from the
// dead runs that were alive then: the project's, another's, or none left to tell ("gone").
// Anything else is reported and never removed: the no-wrong-kill rule holds for files too.
import type { Census, ClassifiedProcess, Generation } from '../model/census.js';
import type { ShmEvidence, ShmSegment } from '../model/shm.js';

export type ShmState =
  /** A live process has it open or mapped (not only processes of dead runs). */
  | 'in-use'
  /** Only processes of dead runs hold it (or its torch creator is one of them): free once they are ended. */
  | 'held-by-dead-run'
  /** torch_<pid>_…: its creator is alive (and not in a dead run). */
  | 'creator-alive'
  /** Nobody holds it, but a live run was there when it was made or last written: it may be that run's. */
  | 'maybe-in-use'
  /** Whether a process holds it cannot be told: processes out of view or unreadable. */
  | 'unknown'
  | 'leaked';

export interface ShmJudgement {
  segment: ShmSegment;
  state: ShmState;
  /**
   * For a leaked segment (and one held by dead runs): `project` when every dead run it can be of is
   * the project's, `other` when one of them is not (or its project is unknown), `gone` when no
   * process of the run that made it is left (nothing tells whose it was). null otherwise.
   */
  owner: 'project' | 'other' | 'gone' | null;
  /** The runs it is tied to: the dead runs alive when it was made, the dead runs holding it, or the live runs that may own it. */
  runs: number[];
  /** Live pids holding it (or its live creator). */
  pids: number[];
  why: string;
}

export interface ShmJudgeOptions {
  /**
   * How long before the oldest live process of a dead run one of its segments may have been made:
   * its main (gone now) may have made it before it started the workers that are left. Default 30.
   */
  runSlackSeconds: number;
  /** Runs to count as dead beyond the census's (clean: the runs it is about to end). */
  alsoDead?: ReadonlySet<number>;
}

export const SHM_JUDGE_DEFAULTS: ShmJudgeOptions = { runSlackSeconds: 30 };

/** Helpers that keep a run's segments and unlink them when the run ends (a live one may keep an unheld segment). */
const KEEPERS = new Set(['resource-tracker', 'semaphore-tracker', 'loky-tracker', 'torch-shm-manager']);

/**
 * Start times are read as boot time (/proc/stat btime: whole seconds, floored) + clock ticks
 * (floored): up to about a second early, never late, so "read as started by T" already takes in
 * every process that truly started by T (and some that started up to a second after: counted, to
 * be safe). This covers the rounding of ticks and of the ISO stamps.
 */
const CLOCK_SLACK_MS = 50;

/** Dead for shared memory as for GPU memory: orphaned, or detached beside a newer run of its project. */
export function deadRun(g: Generation, alsoDead?: ReadonlySet<number>): boolean {
  return g.status === 'orphaned' || (g.status === 'detached' && g.shadowed) || (alsoDead?.has(g.id) ?? false);
}

const at = (iso: string) => Date.parse(iso);

function describe(p: ClassifiedProcess | undefined, pid: number, g: Generation | undefined): string {
  if (!p) return `pid ${pid}`;
  return `pid ${pid} (${p.role ? `${p.role}/${p.kind ?? '-'}` : p.comm}${g ? `, run ${g.id}, ${g.status}` : ''})`;
}

const list = (xs: string[], max = 3) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

export function judgeShm(shm: ShmEvidence, census: Census, o: ShmJudgeOptions = SHM_JUDGE_DEFAULTS): ShmJudgement[] {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const gens = new Map(census.generations.map((g) => [g.id, g]));
  const runOf = (pid: number) => {
    const id = byPid.get(pid)?.generation;
    return id == null ? undefined : gens.get(id);
  };
  const dead = (g: Generation | undefined) => g !== undefined && deadRun(g, o.alsoDead);
  const scopeOwner = (runs: Generation[]) => (runs.every((g) => g.scope === 'project') ? 'project' : 'other');
  return shm.segments.map((s): ShmJudgement => {
    const base = { segment: s, owner: null, runs: [] as number[], pids: [] as number[] };
    const holders = s.holders.map((h) => h.pid);
    if (holders.length > 0) {
      const runs = holders.map(runOf);
      const how = s.holders.map((h) => `${describe(byPid.get(h.pid), h.pid, runOf(h.pid))} ${h.map ? 'maps it' : 'has it open'}`);
      if (runs.every(dead)) {
        const ids = [...new Set(runs.map((g) => g!.id))].sort((a, b) => a - b);
        return { ...base, state: 'held-by-dead-run', owner: scopeOwner(ids.map((id) => gens.get(id)!)), runs: ids, pids: holders, why: `held only by processes of dead runs: ${list(how)}; free once they are ended` };
      }
      const live = [...new Set(runs.filter((g) => g && !dead(g)).map((g) => g!.id))].sort((a, b) => a - b);
      return { ...base, state: 'in-use', runs: live, pids: holders, why: `in use: ${list(how)}` };
    }
    let creatorNote = '';
    if (s.creatorPid !== null) {
      const p = byPid.get(s.creatorPid);
      if (p && !p.zombie && at(p.startTime) <= at(s.createdAt) + CLOCK_SLACK_MS) {
        const g = runOf(p.pid);
        if (dead(g)) return { ...base, state: 'held-by-dead-run', owner: scopeOwner([g!]), runs: [g!.id], pids: [p.pid], why: `its creator ${describe(p, p.pid, g)} is alive, in a dead run; free once it is ended` };
        return { ...base, state: 'creator-alive', runs: g ? [g.id] : [], pids: [p.pid], why: `its creator ${describe(p, p.pid, g)} is alive (its name says pid ${s.creatorPid} made it)` };
      }
      creatorNote = p && !p.zombie ? `; pid ${s.creatorPid}, whose name it bears, is now a process started after it was made: its creator is gone` : `; its creator, pid ${s.creatorPid} (its name says), is gone`;
    }
    if (!shm.visibility.complete) return { ...base, state: 'unknown', why: `nothing in view holds it, but not every process is in view: ${shm.visibility.reason}` };
    // Another user's processes can open it only if its mode lets them (or as root, or with an fd passed to them).
    const open = (s.mode & 0o077) !== 0;
    const blind = shm.unreadable.filter((u) => u.uid === null || u.uid === s.uid || open);
    if (blind.length > 0) {
      const n = blind.reduce((sum, u) => sum + u.pids.length, 0);
      return { ...base, state: 'unknown', why: `nothing readable holds it, but the fds or maps of ${n} process(es) that could (uid ${blind.map((u) => u.uid ?? '?').join(', ')}) could not be read` };
    }
    const changed = at(s.changedAt);
    const candidates: Array<{ g: Generation; first: ClassifiedProcess }> = [];
    for (const g of census.generations) {
      // A launcher (a shell script's bash, timeout, nohup, a restart loop) makes no segments: a
      // run that was there is one whose server, workers or helpers were.
      const members = g.pids.map((pid) => byPid.get(pid)).filter((p): p is ClassifiedProcess => p !== undefined && !p.zombie && p.role !== 'launcher' && (p.uid === null || p.uid === s.uid));
      if (members.length === 0) continue;
      const first = members.reduce((a, b) => (at(b.startTime) < at(a.startTime) ? b : a));
      const slack = dead(g) ? o.runSlackSeconds * 1000 : 0;
      if (at(first.startTime) - slack <= changed + CLOCK_SLACK_MS) candidates.push({ g, first });
    }
    const live = candidates.filter((c) => !dead(c.g));
    // A keeper that belongs to no run keeps what its program made all the same.
    const keepers = census.processes.filter((p) => p.generation === null && !p.zombie && KEEPERS.has(p.kind ?? '') && (p.uid === null || p.uid === s.uid) && at(p.startTime) <= changed + CLOCK_SLACK_MS);
    if (live.length > 0 || keepers.length > 0) {
      const who = [...live.map((c) => `run ${c.g.id} (${c.g.status}; ${describe(c.first, c.first.pid, undefined)} started ${c.first.startTime})`), ...keepers.map((p) => `${describe(p, p.pid, undefined)} started ${p.startTime}`)];
      return {
        ...base,
        state: 'maybe-in-use',
        runs: live.map((c) => c.g.id),
        pids: keepers.map((p) => p.pid),
        why: `nothing holds it${creatorNote}, but ${list(who)} ${who.length === 1 ? 'was' : 'were'} alive when it was last written (${s.changedAt}): it may be kept for later (closed, not unlinked) or tracked by a live resource tracker`,
      };
    }
    const deadRuns = candidates.map((c) => c.g);
    if (deadRuns.length > 0) {
      const ids = deadRuns.map((g) => g.id).sort((a, b) => a - b);
      const owner = scopeOwner(deadRuns);
      const whose = deadRuns.map((g) => `run ${g.id} (${g.status}, ${g.scope === 'project' ? "this project's" : g.scope === 'other' ? `another project's${g.cwd ? `: ${g.cwd}` : ''}` : 'of an unknown project'})`);
      return { ...base, state: 'leaked', owner, runs: ids, why: `no live process holds it${creatorNote}; made or last written at ${s.changedAt}, while dead ${list(whose)} ${deadRuns.length === 1 ? 'was' : 'were'} alive, and no live run was` };
    }
    return { ...base, state: 'leaked', owner: 'gone', why: `no live process holds it${creatorNote}; no live run was there when it was made or last written (${s.changedAt}): the run that made it is gone, and with it what would tell its project` };
  });
}

/** Count and bytes (used) of judgements. */
export function shmTotal(js: readonly ShmJudgement[]): { count: number; bytes: number } {
  return { count: js.length, bytes: js.reduce((n, j) => n + j.segment.usedBytes, 0) };
}
