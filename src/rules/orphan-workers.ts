// orphan-workers: workers and helpers left by a dead main process (SIGKILL, IDE stop, unhandled SIGTERM).
import { describeProc, procSource, sortNum } from './lib/evidence.js';
import type { Finding, Rule } from './types.js';

export const orphanWorkers: Rule = {
  meta: { id: 'orphan-workers', title: 'workers and helpers left by a dead main process', severity: 'error', requires: ['census'], stage: 'orphans', defaultOptions: {} },
  check(input) {
    // Orphaned servers that hold no watched port are here too: fork workers whose main died carry
    // the server's command line, and nothing else would report them (orphan-server is about ports).
    const holding = new Set(input.ports.filter((r) => r.watched).flatMap((r) => r.sockets.flatMap((s) => s.owners.map((o) => o.pid))));
    const orphans = input.census.processes.filter((p) => p.orphan && !p.zombie && (p.role === 'worker' || p.role === 'helper' || (p.role === 'server' && !holding.has(p.pid))));
    if (orphans.length === 0) return [];
    const byRun = new Map<number | null, typeof orphans>();
    for (const p of orphans) byRun.set(p.generation, [...(byRun.get(p.generation) ?? []), p]);
    const findings: Finding[] = [];
    for (const [run, procs] of byRun) {
      const workers = procs.filter((p) => p.role !== 'helper').length;
      const helpers = procs.length - workers;
      const pids = sortNum(procs.map((p) => p.pid));
      const ports = sortNum(procs.flatMap((p) => p.ports));
      findings.push({
        id: 'orphan-workers',
        severity: 'error',
        title: `${workers} orphaned worker${workers === 1 ? '' : 's'}${helpers ? ` and ${helpers} helper${helpers === 1 ? '' : 's'}` : ''} from run ${run ?? '?'}${ports.length ? `, still holding :${ports.join(', :')}` : ''}`,
        pids,
        ports,
        evidence: procs.map((p) => ({ source: procSource(p.pid), text: `${describeProc(p)}: ${p.orphanReason ?? 'orphaned'}` })),
        fix: 'End these processes (they keep CPU, memory, GPU memory and semaphores, and the tracker keeps its pipe). In the server: terminate and join workers on SIGTERM/SIGINT with a timeout and a SIGKILL fallback, and let workers exit when their parent dies.',
        next: ['rerun-doctor clean', 'rerun-doctor explain orphan-workers'],
        confidence: 'high',
      });
    }
    return findings;
  },
};
