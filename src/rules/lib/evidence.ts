// Shared wording for evidence lines: which process, since when, from where.
import type { ClassifiedProcess } from '../../model/census.js';

export function describeProc(p: ClassifiedProcess): string {
  const cmd = p.argv.length > 0 ? p.argv.join(' ') : `[${p.comm}]`;
  return `pid ${p.pid} (${p.role ?? 'process'}/${p.kind ?? '-'}, run ${p.generation ?? '?'}, started ${p.startTime}, ppid ${p.ppid}, pgid ${p.pgid}): ${cmd.length > 160 ? cmd.slice(0, 159) + '…' : cmd}`;
}

export const sortNum = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);

/**
 * The line that says the Python parent-death guard was on in some of a dead run's leftovers
 * (docs/prevention.md), so its limits show: `RERUN_DOCTOR_GUARD=1` in their start environment
 * (Linux: /proc/PID/environ; never known on macOS). None when no leftover carried it.
 */
export function pythonGuardEvidence(guarded: readonly number[], leftovers: readonly number[], server = false): Array<{ source: string; text: string }> {
  const pids = sortNum(leftovers.filter((p) => guarded.includes(p)));
  if (pids.length === 0) return [];
  const n = pids.length;
  if (server) {
    return [
      {
        source: `/proc/${pids[0]}/environ`,
        text: 'the Python parent-death guard was on in it (RERUN_DOCTOR_GUARD=1), but the guard never ends a main process whose launcher is gone (a server may be started detached on purpose): only its children follow their parent. Start it under rerun-doctor run, which ends it with its launcher: docs/prevention.md, Limits',
      },
    ];
  }
  return [
    {
      source: pids.length === 1 ? `/proc/${pids[0]}/environ` : '/proc/PID/environ',
      text:
        `the Python parent-death guard was on in ${n === leftovers.length ? (n === 1 ? 'it' : `all ${n}`) : `${n} of ${leftovers.length}`} (RERUN_DOCTOR_GUARD=1: pid${n === 1 ? '' : 's'} ${pids.join(', ')}) and ${n === 1 ? 'it' : 'they'} still outlived ${n === 1 ? 'its' : 'their'} parent: ` +
        'a guarded child exits about 1 s (RERUN_DOCTOR_GUARD_GRACE) after the process that started it died, so one seen sooner may still be exiting; ' +
        'one still here later is past what the guard can do (stuck in native code holding the GIL, stopped, started with python -E or -I, or the resource tracker waiting for another holder of its pipe): docs/prevention.md, Limits',
    },
  ];
}
