// process-leak: the project's process count grows run after run (count history, runs left
// behind), or exceeds 1 + N per running server plus its helpers.
import { judgeCount, trend } from '../census/count.js';
import type { EvidenceItem } from '../model/diagnosis.js';
import { sortNum } from './lib/evidence.js';
import { report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import type { Rule } from './types.js';

export interface ProcessLeakOptions {
  /** Orphaned runs present at once that make a leak (one is a single bad stop: orphan-workers). */
  orphanedRuns: number;
}

export const processLeak: Rule<ProcessLeakOptions> = {
  meta: {
    id: 'process-leak',
    title: 'the process count grows run after run',
    severity: 'error',
    requires: ['census'],
    stage: 'orphans',
    messages: {
      runsLeft: '{{runs}} earlier runs left processes behind: a leak that grows with every run',
      beyond: 'more processes than the running servers explain',
    },
    defaultOptions: { orphanedRuns: 2 },
    schema: { type: 'object', properties: { orphanedRuns: { type: 'integer', minimum: 1, description: 'dead runs of the project present at once that make a leak (one is a single bad stop: orphan-workers)' } }, additionalProperties: false },
  },
  check(input, options) {
    const src = sourcesFor(input.platform);
    const evidence: EvidenceItem[] = [];
    const pids = new Set<number>();
    let severity: 'error' | 'warning' | null = null;
    if (input.history.status === 'ok') {
      const t = trend(input.history.value);
      if (t.growing) {
        severity = 'error';
        evidence.push({ source: 'count history', text: `the project's process count after each run went ${t.tail.join(' → ')} (+${t.perRun.toFixed(1)} per run that grew)` });
      }
    }
    // Runs of the project left behind: orphaned ones, and detached ones a newer run shadows. One
    // SIGKILLed run is one run however many sessions its pieces made (orphan-workers reports it).
    const orphanedRuns = input.census.generations.filter((g) => g.scope === 'project' && (g.status === 'orphaned' || (g.status === 'detached' && g.shadowed)));
    if (orphanedRuns.length >= options.orphanedRuns) {
      severity = 'error';
      for (const g of orphanedRuns) {
        g.pids.forEach((p) => pids.add(p));
        const c = g.counts;
        evidence.push({ source: src.kinship, text: `run ${g.id}, started ${g.startedAt}, left ${g.pids.length} process${g.pids.length === 1 ? '' : 'es'} (${c.worker} worker${c.worker === 1 ? '' : 's'}, ${c.helper} helper${c.helper === 1 ? '' : 's'}${c.server ? `, ${c.server} server` : ''}): ${g.statusReason}` });
      }
    }
    if (input.instances !== null) {
      const j = judgeCount(input.census, input.instances);
      const extra = j.unexplained.filter((u) => !u.why.startsWith('orphan'));
      if (extra.length > 0) {
        severity ??= 'warning';
        extra.forEach((u) => pids.add(u.pid));
        evidence.push({ source: src.processTable, text: `${extra.length} process${extra.length === 1 ? '' : 'es'} beyond 1 + ${input.instances} per running server: ${extra.map((u) => `${u.pid} (${u.why})`).join('; ')}` });
      }
    }
    if (severity === null) return [];
    const many = orphanedRuns.length >= options.orphanedRuns;
    return [
      report(processLeak.meta, many ? 'runsLeft' : 'beyond', many ? { runs: orphanedRuns.length } : {}, {
        severity,
        pids: sortNum(pids),
        ports: [],
        evidence,
        fix: 'Find what each run leaves (rerun-doctor procs shows them by run) and stop it at the source: terminate and join workers on shutdown, and start the server so its whole tree ends with it.',
        next: ['rerun-doctor clean', 'rerun-doctor explain process-leak', 'rerun-doctor procs', 'rerun-doctor count history'],
        confidence: 'high',
      }),
    ];
  },
};
