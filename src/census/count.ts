// count before / after: compare two censuses and judge the count against 1 + N per server.
import type { Census, ClassifiedProcess, Role } from '../model/census.js';
import type { CountComparison, CountedRole, CountSummary, Expectation, HistoryEntry, SavedCensus, SavedProcess } from '../model/count.js';

export { COUNT_SCHEMA_VERSION } from '../model/count.js';
import { COUNT_SCHEMA_VERSION } from '../model/count.js';

/** The project's own processes that count: in a run of the project, alive, not a launcher (a wrapper is never one of the 1 + N). */
function projectRuns(census: Census): Set<number> {
  return new Set(census.generations.filter((g) => g.scope === 'project').map((g) => g.id));
}
function counted(census: Census): ClassifiedProcess[] {
  const runs = projectRuns(census);
  return census.processes.filter((p) => p.role !== null && p.role !== 'launcher' && !p.zombie && p.generation !== null && runs.has(p.generation));
}

export function saveable(census: Census): SavedProcess[] {
  return counted(census).map((p) => ({
    pid: p.pid,
    startKey: p.startKey,
    startTime: p.startTime,
    role: p.role!,
    kind: p.kind,
    orphan: p.orphan,
    generation: p.generation,
    argv: p.argv,
  }));
}

export function summarize(procs: Array<{ role: Role; orphan: boolean; generation: number | null }>, zombies: number, liveServers: number): CountSummary {
  const byRole: Record<CountedRole, number> = { server: 0, worker: 0, helper: 0 };
  for (const p of procs) if (p.role !== 'launcher') byRole[p.role]++;
  return {
    total: procs.length,
    byRole,
    orphans: procs.filter((p) => p.orphan).length,
    zombies,
    runs: new Set(procs.map((p) => p.generation)).size,
    liveServers,
  };
}

export function censusSummary(census: Census): CountSummary {
  const procs = counted(census);
  const runs = projectRuns(census);
  const zombies = census.processes.filter((p) => p.role !== null && p.zombie && p.generation !== null && runs.has(p.generation)).length;
  const running = new Set(census.generations.filter((g) => g.status === 'running').map((g) => g.id));
  const liveServers = procs.filter((p) => p.role === 'server' && running.has(p.generation!)).length;
  return summarize(procs as Array<ClassifiedProcess & { role: Role }>, zombies, liveServers);
}

const HELPER_ALLOWANCE: Record<string, number> = { 'resource-tracker': 1, 'semaphore-tracker': 1, forkserver: 1, 'torch-shm-manager': 1, 'loky-tracker': 1 };

/**
 * What the running servers explain: per server of a running run, the server, N workers and one of
 * each helper kind. Processes of running programs the pattern does not name are explained by their
 * live main. Everything else (dead runs' processes, extra workers, extra helpers) is unexplained.
 */
export function judgeCount(census: Census, instances: number | null): Expectation {
  const procs = counted(census);
  const helpersExplained: Expectation['helpersExplained'] = [];
  const otherExplained: Expectation['otherExplained'] = [];
  const unexplained: Expectation['unexplained'] = [];
  let servers = 0;
  for (const g of census.generations) {
    if (g.scope !== 'project') continue;
    const members = procs.filter((p) => p.generation === g.id);
    if (g.dead) {
      for (const p of members) unexplained.push({ pid: p.pid, role: p.role!, kind: p.kind, why: p.orphan ? `orphan: ${p.orphanReason ?? ''}` : `run ${g.id} is ${g.status}: ${g.statusReason}` });
      continue;
    }
    const server = members.find((p) => p.role === 'server');
    if (!server) {
      for (const p of members) otherExplained.push({ pid: p.pid, kind: p.kind, why: `part of a running program the server pattern does not name (run ${g.id}: ${g.statusReason})` });
      continue;
    }
    servers++;
    const extraServers = members.filter((p) => p.role === 'server' && p !== server);
    const workers = members.filter((p) => p.role === 'worker');
    const helpers = members.filter((p) => p.role === 'helper');
    for (const p of extraServers) unexplained.push({ pid: p.pid, role: 'server', kind: p.kind, why: `a second server in run ${g.id}` });
    if (instances !== null && workers.length > instances) {
      for (const p of workers.slice(instances)) unexplained.push({ pid: p.pid, role: 'worker', kind: p.kind, why: `run ${g.id} has ${workers.length} workers, ${instances} expected` });
    }
    const used = new Map<string, number>();
    for (const h of helpers) {
      const k = h.kind ?? 'helper';
      const n = (used.get(k) ?? 0) + 1;
      used.set(k, n);
      if (n <= (HELPER_ALLOWANCE[k] ?? 0)) helpersExplained.push({ pid: h.pid, kind: k, why: helperWhy(k) });
      else unexplained.push({ pid: h.pid, role: 'helper', kind: h.kind, why: `more than one ${k} in run ${g.id}` });
    }
  }
  const expected = instances === null ? null : servers * (1 + instances);
  const counting = procs.length - otherExplained.length;
  let verdict: Expectation['verdict'];
  let message: string;
  const helperNote = helpersExplained.length > 0 ? ` plus ${helpersExplained.length} helper${helpersExplained.length === 1 ? '' : 's'} (not a leak)` : '';
  if (unexplained.length > 0) {
    verdict = 'leak';
    message = `${unexplained.length} process${unexplained.length === 1 ? '' : 'es'} beyond what the running server${servers === 1 ? '' : 's'} explain${servers === 1 ? 's' : ''}`;
  } else if (instances === null) {
    verdict = servers === 0 && counting === 0 ? 'ok' : 'unknown';
    message = verdict === 'ok' ? 'no project processes left' : `${counting} project processes; pass --instances N to check them against 1 + N`;
  } else {
    verdict = 'ok';
    message = servers === 0 ? 'no project processes left' : `${servers * (1 + instances)} as expected (1 + ${instances} per server)${helperNote}`;
  }
  if (otherExplained.length > 0) message += `; ${otherExplained.length} process${otherExplained.length === 1 ? '' : 'es'} of running programs the server pattern does not name (not counted)`;
  if (instances !== null) {
    const serving = new Set(census.generations.filter((g) => g.scope === 'project' && !g.dead && g.serverPid !== null).map((g) => g.id));
    const workers = procs.filter((p) => p.role === 'worker' && serving.has(p.generation!)).length;
    if (verdict !== 'leak' && workers < servers * instances) {
      message += `; note: only ${workers} of ${servers * instances} expected workers are running`;
    }
  }
  return { instances, expected, helpersExplained, otherExplained, unexplained, verdict, message };
}

function helperWhy(kind: string): string {
  switch (kind) {
    case 'resource-tracker':
      return 'Python starts one resource tracker per program (multiprocessing)';
    case 'forkserver':
      return 'the forkserver start method keeps one forkserver process';
    case 'torch-shm-manager':
      return 'PyTorch starts torch_shm_manager for the file_system sharing strategy';
    case 'semaphore-tracker':
      return 'Python ≤ 3.7 starts one semaphore tracker per program';
    default:
      return 'one per program';
  }
}

export function compare(before: SavedCensus, census: Census, instances: number | null): CountComparison {
  const now = saveable(census);
  const key = (p: { pid: number; startKey: number }) => `${p.pid}@${p.startKey}`;
  const beforeKeys = new Set(before.processes.map(key));
  const nowKeys = new Set(now.map(key));
  const beforeLiveServers = before.processes.filter((p) => p.role === 'server' && !p.orphan).length;
  return {
    schemaVersion: COUNT_SCHEMA_VERSION,
    before: { takenAt: before.takenAt, summary: summarize(before.processes, 0, beforeLiveServers) },
    after: { takenAt: census.snapshot.takenAt, summary: censusSummary(census) },
    survived: now.filter((p) => beforeKeys.has(key(p))),
    appeared: now.filter((p) => !beforeKeys.has(key(p))),
    gone: before.processes.filter((p) => !nowKeys.has(key(p))),
    expectation: judgeCount(census, instances),
  };
}

/**
 * Growth run after run, from the `after` counts: the longest non-decreasing tail of the history
 * (a repeated count of the same state is not a new run) with at least two increases is a leak.
 */
export function trend(history: HistoryEntry[]): { counts: number[]; tail: number[]; growing: boolean; perRun: number } {
  const counts = history.filter((h) => h.kind === 'after').map((h) => h.summary.total);
  let start = counts.length - 1;
  while (start > 0 && counts[start - 1]! <= counts[start]!) start--;
  const tail = counts.slice(Math.max(0, start));
  const steps = tail.slice(1).map((v, i) => v - tail[i]!).filter((d) => d > 0);
  const growing = steps.length >= 2;
  const perRun = steps.length > 0 ? steps.reduce((a, b) => a + b, 0) / steps.length : 0;
  return { counts, tail, growing, perRun };
}
