// The leftover lists of `run` and `guard`: one line of what was ended, or the tree of what was left
// with how each process got away, its listening sockets and who holds it now.
import { escapeNotes, type Leftover, type Listener } from '../model/supervision.js';

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** "…; 1 still alive (pid 9: survived SIGKILL)" for what could not be ended, or ''. */
function notEndedNote(notEnded: ReadonlyArray<{ target: { pid: number }; outcome: string }>): string {
  if (notEnded.length === 0) return '';
  return `; ${notEnded.length} not ended (${notEnded.map((r) => `pid ${r.target.pid}: ${r.outcome}`).join(', ')})`;
}

/** "ended 3 leftover processes (pids 1, 2, 3; 2 in a new session (setsid), 2 orphaned (double fork))". */
export function cleanedLine(prefix: string, ended: Leftover[], killed: number, notEnded: ReadonlyArray<{ target: { pid: number }; outcome: string }> = []): string {
  const n = ended.length;
  const parts: string[] = [];
  const c = (f: (l: Leftover) => boolean) => ended.filter(f).length;
  if (c((l) => l.newSession)) parts.push(`${c((l) => l.newSession)} in a new session (setsid)`);
  if (c((l) => l.newGroup)) parts.push(`${c((l) => l.newGroup)} in a new process group`);
  if (c((l) => l.leftGroup)) parts.push(`${c((l) => l.leftGroup)} out of the process group (setsid or setpgid)`);
  if (c((l) => l.orphaned)) parts.push(`${c((l) => l.orphaned)} orphaned (double fork or parent gone)`);
  if (killed > 0) parts.push(`${killed} needed SIGKILL`);
  return `${prefix}: ended ${n} leftover ${plural(n, 'process', 'processes')} (${plural(n, 'pid', 'pids')} ${ended.map((l) => l.pid).join(', ')}${parts.length ? `; ${parts.join(', ')}` : ''})${notEndedNote(notEnded)}\n`;
}

/** guard's report: the command, its status, and the tree of what it left (parents: who holds each root now). */
export function renderLeftovers(command: string[], status: number, leftovers: Leftover[], listeners: Listener[], parents: ReadonlyMap<number, string>): string {
  const n = leftovers.length;
  const out = [`rerun-doctor guard: ${command.join(' ')} exited ${status} and left ${n} process${n === 1 ? '' : 'es'} behind${listeners.length > 0 ? `, listening on ${listeners.map((l) => `${l.address}:${l.port}`).join(', ')}` : ''}:`];
  const byPid = new Map(leftovers.map((l) => [l.pid, l]));
  const line = (l: Leftover, depth: number) => {
    const ports = listeners.filter((x) => x.pid === l.pid).map((x) => `listening ${x.address}:${x.port}`);
    const notes = [escapeNotes(l).join(', '), ...ports].filter((s) => s).join('; ');
    out.push(`${'  '.repeat(depth + 1)}${l.pid} ${l.argv.length > 0 ? l.argv.join(' ') : `[${l.comm}]`}${notes ? `  (${notes})` : ''}`);
    for (const c of leftovers) if (c.ppid === l.pid && c.pid !== l.pid) line(c, depth + 1);
  };
  for (const root of leftovers.filter((l) => !byPid.has(l.ppid))) {
    line(root, 0);
    out.push(`    parents: ${parents.get(root.pid) ?? `${root.ppid} (gone)`}`);
  }
  return out.join('\n') + '\n';
}
