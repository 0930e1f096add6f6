// Shared wording for evidence lines: which process, since when, from where.
import type { ClassifiedProcess } from '../../model/census.js';

export function describeProc(p: ClassifiedProcess): string {
  const cmd = p.argv.length > 0 ? p.argv.join(' ') : `[${p.comm}]`;
  return `pid ${p.pid} (${p.role ?? 'process'}/${p.kind ?? '-'}, run ${p.generation ?? '?'}, started ${p.startTime}, ppid ${p.ppid}, pgid ${p.pgid}): ${cmd.length > 160 ? cmd.slice(0, 159) + '…' : cmd}`;
}

export const sortNum = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);
