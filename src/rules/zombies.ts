// zombies: unreaped children (state Z). A reaping bug in their parent, not a live orphan: they
// hold no memory or ports, but a growing number fills the process table.
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type Rule } from './types.js';

export const zombies: Rule = {
  meta: {
    id: 'zombies',
    title: 'unreaped (zombie) project processes',
    severity: 'warning',
    requires: ['census'],
    stage: 'orphans',
    messages: { unreaped: '{{zombies}} nobody reaped ({{parents}})' },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    const z = input.census.processes.filter((p) => p.zombie && p.role !== null);
    if (z.length === 0) return [];
    const parents = sortNum(z.map((p) => p.ppid));
    const src = sourcesFor(input.platform);
    return [
      report(zombies.meta, 'unreaped', { zombies: plural(z.length, 'zombie process', 'zombie processes'), parents: `parent${parents.length === 1 ? '' : 's'} ${parents.join(', ')}` }, {
        severity: 'warning',
        pids: sortNum(z.map((p) => p.pid)),
        ports: [],
        evidence: z.map((p) => ({ source: src.process(p.pid), text: `pid ${p.pid} state Z (defunct), parent ${p.ppid}, started ${p.startTime}` })),
        fix: `The parent${parents.length === 1 ? '' : 's'} never wait()ed for ${z.length === 1 ? 'it' : 'them'}: join processes you start (Process.join(), Popen.wait()); a zombie goes away when its parent reaps it or exits.`,
        next: ['rerun-doctor explain zombies'],
        confidence: 'high',
      }),
    ];
  },
};
