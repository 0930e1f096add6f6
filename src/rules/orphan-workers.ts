// orphan-workers: what an orphaned run left (its main process is gone: SIGKILL, an IDE's stop
// button, SIGTERM without a handler): workers, helpers, and fork copies of the dead server. One
// finding per run. Another project's leftovers are named (info), never cleaned unasked.
import type { ClassifiedProcess } from '../model/census.js';
import type { Finding } from '../model/diagnosis.js';
import { describeProc, pythonGuardEvidence, sortNum } from './lib/evidence.js';
import { report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type Rule } from './types.js';

/** "2 orphaned workers and 1 helper", "1 orphaned helper": only what there is. */
function counted(procs: ClassifiedProcess[]): string {
  const n = (...roles: string[]) => procs.filter((p) => roles.includes(p.role ?? '')).length;
  const parts = ([[n('worker', 'server'), 'worker'], [n('helper'), 'helper'], [n('launcher'), 'launcher']] as const)
    .filter(([k]) => k > 0)
    .map(([k, what], i) => `${k} ${i === 0 ? 'orphaned ' : ''}${what}${k === 1 ? '' : 's'}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? 'nothing');
}

export const orphanWorkers: Rule = {
  meta: {
    id: 'orphan-workers',
    title: 'workers and helpers left by a dead main process',
    severity: 'error',
    requires: ['census'],
    stage: 'orphans',
    messages: {
      left: '{{what}} from run {{run}}{{holding}}',
      foreign: "{{what}} from another project's run {{run}}{{cwd}}{{holding}}",
    },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    const src = sourcesFor(input.platform);
    const findings: Finding[] = [];
    for (const run of input.census.generations) {
      if (run.status !== 'orphaned') continue;
      // Servers of the run are orphan-server's (with their ports); the rest are reported here.
      const procs = input.census.processes.filter((p) => p.generation === run.id && !p.zombie && !(p.role === 'server' && p.kind !== 'fork-worker' && p.pid === run.serverPid));
      if (procs.length === 0) continue;
      const pids = sortNum(procs.map((p) => p.pid));
      const ports = sortNum(procs.flatMap((p) => p.ports));
      const foreign = run.scope !== 'project';
      const holding = ports.length ? `, still holding :${ports.join(', :')}` : '';
      findings.push(
        report(orphanWorkers.meta, foreign ? 'foreign' : 'left', foreign ? { what: counted(procs), run: run.id, cwd: run.cwd ? ` (cwd ${run.cwd})` : '', holding } : { what: counted(procs), run: run.id, holding }, {
          severity: foreign ? 'info' : 'error',
          pids,
          ports,
          evidence: [
            ...procs.map((p) => ({ source: src.process(p.pid), text: `${describeProc(p)}: ${p.orphanReason ?? `left behind with run ${run.id}`}` })),
            ...pythonGuardEvidence(run.pythonGuard ?? [], pids),
            ...(run.linkedBy.length > 0 ? [{ source: src.kinship, text: `one run (${run.statusReason}), tied by ${run.linkedBy.join(', ')}` }] : []),
            ...(foreign ? [{ source: 'project scope', text: `not this project's (${run.cwd ?? 'working directory not readable'}): rerun-doctor clean leaves it unless --all-projects or --pid` }] : []),
            ...run.groupmates.map((pid) => {
              const p = input.census.processes.find((x) => x.pid === pid);
              return { source: src.process(pid), text: `also in its dead process group, not tied to it by a role, pipe or socket (clean leaves it; end it by pid if it is the run's): pid ${pid}${p ? ` ${p.argv.join(' ').slice(0, 120) || p.comm}` : ''}` };
            }),
          ],
          fix: 'End these processes (they keep CPU, memory, GPU memory and semaphores, and the tracker keeps its pipe). In the server: terminate and join workers on SIGTERM/SIGINT with a timeout and a SIGKILL fallback, and let workers exit when their parent dies.',
          next: foreign ? ['rerun-doctor procs', 'rerun-doctor explain orphan-workers'] : ['rerun-doctor clean', 'rerun-doctor explain orphan-workers'],
          confidence: 'high',
        }),
      );
    }
    return findings;
  },
};
