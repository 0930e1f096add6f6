// zombies: unreaped children (state Z). A reaping bug in their parent, not a live orphan: they
// hold no memory or ports, but a growing number fills the process table.
import { sortNum } from './lib/evidence.js';
import type { Rule } from './types.js';

export const zombies: Rule = {
  meta: { id: 'zombies', title: 'unreaped (zombie) project processes', severity: 'warning', requires: ['census'], stage: 'orphans', defaultOptions: {} },
  check(input) {
    const z = input.census.processes.filter((p) => p.zombie && p.role !== null);
    if (z.length === 0) return [];
    const parents = sortNum(z.map((p) => p.ppid));
    return [
      {
        id: 'zombies',
        severity: 'warning',
        title: `${z.length} zombie process${z.length === 1 ? '' : 'es'} nobody reaped (parent${parents.length === 1 ? '' : 's'} ${parents.join(', ')})`,
        pids: sortNum(z.map((p) => p.pid)),
        ports: [],
        evidence: z.map((p) => ({ source: `/proc/${p.pid}/stat`, text: `pid ${p.pid} state Z (defunct), parent ${p.ppid}, started ${p.startTime}` })),
        fix: `The parent${parents.length === 1 ? '' : 's'} never wait()ed for ${z.length === 1 ? 'it' : 'them'}: join processes you start (Process.join(), Popen.wait()); a zombie goes away when its parent reaps it or exits.`,
        next: ['rerun-doctor explain zombies'],
        confidence: 'high',
      },
    ];
  },
};
