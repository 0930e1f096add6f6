// Which processes `clean` may end, each with the reason it is in or out. Pure, and safe by
// construction: it reads the census's runs, not the diagnosis, and every target must pass checks
// of its own (defence in depth) before it is planned. docs/clean.md, docs/attribution.md.
import { ancestry } from '../census/classify.js';
import { isDockerProxy } from '../census/docker-proxy.js';
import { under } from '../census/scope.js';
import type { Host } from '../host/host.js';
import type { Census, ClassifiedProcess, Generation } from '../model/census.js';
import type { CleanupPlan, Excluded, RunDecision, Target } from '../model/cleanup-plan.js';

export { PLAN_SCHEMA_VERSION } from '../model/cleanup-plan.js';

export interface PlanOptions {
  selfPid: number;
  /** Our own ancestors: never signalled. */
  ancestors: number[];
  /** Our uid (null on an unknown platform); other users' processes need root and --all-users. */
  uid: number | null;
  allUsers: boolean;
  /** As root under sudo: the invoking user's processes are theirs, not another user's. */
  sudoUid: number | null;
  /** Detached runs too (a server whose launcher is gone, with nothing newer beside it). */
  includeDetached?: boolean;
  /** Dead runs of other projects too. */
  allProjects?: boolean;
  /** Named by the user: the dead runs holding these pids, whatever their scope, status or evidence. */
  pids?: number[];
}

/** Helpers end last: the resource tracker unlinks its run's shared memory and semaphores once the others are gone. */
const HELPER_LAST = new Set(['resource-tracker', 'semaphore-tracker', 'loky-tracker', 'torch-shm-manager', 'forkserver']);

function decide(r: Generation, named: boolean, o: PlanOptions): { decision: 'clean' | 'leave'; why: string } {
  if (r.status === 'running') return { decision: 'leave', why: `running: ${r.statusReason}` };
  if (r.scope !== 'project' && !named && !o.allProjects) {
    return { decision: 'leave', why: `${r.scope === 'other' ? "another project's" : 'of an unknown project (its working directory and environment are not readable)'}${r.cwd ? ` (cwd ${r.cwd})` : ''}: pass --all-projects or --pid to include it` };
  }
  if (r.evidence === 'weak' && !named) return { decision: 'leave', why: 'held to a run only by resemblance (environment): pass --pid to end it' };
  if (r.status === 'detached') {
    if (named) return { decision: 'clean', why: 'detached, and named with --pid' };
    if (r.shadowed) return { decision: 'clean', why: `detached, and a newer run of the project runs beside it: ${r.statusReason}` };
    if (o.includeDetached) return { decision: 'clean', why: `detached (--include-detached): ${r.statusReason}` };
    return { decision: 'leave', why: `detached: ${r.statusReason}. It may be running on purpose (nohup, a start script); if you stopped your server, end it with --include-detached or --pid ${r.serverPid ?? r.tops[0] ?? ''}` };
  }
  return { decision: 'clean', why: `left behind: ${r.statusReason}` };
}

/**
 * Every process of a run to be cleaned must itself be left behind: following the parents that
 * started it (adoption cuts the chain), it reaches an adopted member of the same run, and nothing
 * alive outside the run started anything on the way. Null when that holds, else why not.
 */
function liveAncestorThatStartedIt(p: ClassifiedProcess, byPid: Map<number, ClassifiedProcess>): string | null {
  const seen = new Set<number>();
  for (let cur = p; ; ) {
    if (cur.adopted) return null;
    seen.add(cur.pid);
    const parent = byPid.get(cur.ppid);
    if (!parent) return cur.ppid <= 0 ? `its starter (parent ${cur.ppid}) is not visible here` : null;
    if (parent.generation !== p.generation) return `${cur === p ? 'its' : `its ancestor ${cur.pid}'s`} parent ${parent.pid} (${parent.comm}) started it and is alive, outside the dead run`;
    if (seen.has(parent.pid)) return 'its parent chain loops';
    cur = parent;
  }
}

/**
 * A process that itself says it is another project's: its working directory and the directory it
 * was started from (PWD, inherited by every child, so a worker that changed directory keeps it) are
 * both readable and both outside the project. Null when it is the project's or cannot tell.
 */
function foreignEvidence(p: ClassifiedProcess, root: string): string | null {
  if (p.cwd === null || under(p.cwd, root) || p.env === undefined) return null;
  const pwd = p.env.PWD;
  if (pwd === undefined || under(pwd, root)) return null;
  return `its working directory ${p.cwd} and the directory it was started from (${pwd}) are outside the project ${root}`;
}

/**
 * What `clean` plans with by default, for this process on this machine: ourselves and our
 * ancestors never signalled, our uid's processes only (root's: everyone's only with allUsers), the
 * user who ran sudo counted as us.
 */
export function cleanupOptions(census: Census, host: Pick<Host, 'selfPid' | 'env'>, more: Partial<PlanOptions> = {}): PlanOptions {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const sudo = host.env.SUDO_UID;
  return {
    selfPid: host.selfPid,
    ancestors: ancestry(host.selfPid, byPid).map((a) => a.pid),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    allUsers: false,
    sudoUid: sudo && /^\d+$/.test(sudo) ? Number(sudo) : null,
    ...more,
  };
}

export function planCleanup(census: Census, o: PlanOptions): CleanupPlan {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const runPids = new Map(census.generations.map((g) => [g.id, g.pids]));
  const r = (p: ClassifiedProcess) => runPids.get(p.generation ?? -1) ?? [];
  const named = new Set(o.pids ?? []);
  const runs: RunDecision[] = [];
  const decisions = new Map<number, { decision: 'clean' | 'leave'; why: string }>();
  for (const r of census.generations) {
    const d = decide(r, r.pids.some((pid) => named.has(pid)), o);
    decisions.set(r.id, d);
    runs.push({ id: r.id, status: r.status, scope: r.scope, cwd: r.cwd, ...d });
  }
  const targets: Target[] = [];
  const excluded: Excluded[] = [];
  const out = (p: ClassifiedProcess, why: string) => excluded.push({ pid: p.pid, argv: p.argv, why });
  // Reported with a dead run, never ended: nothing but a process group ties them to it.
  for (const r of census.generations) {
    for (const pid of r.groupmates) {
      const p = byPid.get(pid);
      if (p) out(p, `in the process group of dead run ${r.id}, but no role, pipe or socket ties it to the run: not ended (end it by pid if it is the run's)`);
    }
  }
  for (const pid of named) {
    const p = byPid.get(pid);
    if (!p) excluded.push({ pid, argv: [], why: 'named with --pid, but no such process' });
    else if (p.generation === null) out(p, 'named with --pid, but it is not a server, worker, helper or launcher of any run: end it yourself if you mean to');
  }
  for (const p of census.processes) {
    if (p.generation === null) continue;
    const d = decisions.get(p.generation)!;
    if (d.decision === 'leave') {
      out(p, p.zombie ? `a zombie: nothing to end; its parent ${p.ppid} must reap it` : `run ${p.generation} is left alone: ${d.why}`);
      continue;
    }
    // Defence in depth: each target on its own merits, whatever the run's status says.
    const started = liveAncestorThatStartedIt(p, byPid);
    const elsewhere = census.projectRoot !== null && !o.allProjects && !named.has(p.pid) && !r(p).some((pid) => named.has(pid)) ? foreignEvidence(p, census.projectRoot) : null;
    if (p.pid <= 1) out(p, 'pid 1 is never signalled');
    else if (isDockerProxy(p)) out(p, `docker-proxy publishes a container's port${p.ports.length > 0 ? ` (:${p.ports.join(', :')})` : ''}: never signalled; stop the container instead (docker ps --filter publish=PORT, then docker stop)`);
    else if (p.pid === o.selfPid || o.ancestors.includes(p.pid)) out(p, 'rerun-doctor itself or one of its parents');
    else if (p.zombie) out(p, `a zombie: nothing to end; its parent ${p.ppid} must reap it`);
    else if (started) out(p, `not left behind: ${started}`);
    else if (elsewhere) out(p, `${elsewhere}: another project's (pass --all-projects or --pid to include it)`);
    else if (o.uid !== null && o.uid !== 0 && p.uid !== null && p.uid !== o.uid) out(p, `another user's (uid ${p.uid}): not signalled`);
    else if (o.uid !== null && o.uid !== 0 && p.uid === null) out(p, 'its owner could not be read: not signalled');
    else if (o.uid === 0 && p.uid !== null && p.uid !== 0 && !o.allUsers && p.uid !== o.sudoUid) out(p, `another user's (uid ${p.uid}): pass --all-users to include it`);
    else {
      targets.push({
        pid: p.pid,
        startKey: p.startKey,
        uid: p.uid,
        role: p.role,
        kind: p.kind,
        argv: p.argv,
        ports: p.ports,
        // The run's reason is the run decision's; this says why this process is the run's.
        why: p.orphan && p.orphanReason ? p.orphanReason : `part of run ${p.generation}${byPid.get(p.ppid) ? `, under ${byPid.get(p.ppid)!.comm} ${p.ppid}` : ''}`,
        run: p.generation,
        phase: HELPER_LAST.has(p.kind ?? '') ? 'helpers' : 'processes',
      });
    }
  }
  return { targets, excluded, runs };
}
