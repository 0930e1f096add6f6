// count after / count history for people.
import type { CountComparison, CountSummary, HistoryEntry, SavedProcess } from '../model/count.js';
import { formatArgv, formatStart, truncate } from './format.js';
import type { Style } from './style.js';

function summaryText(s: CountSummary): string {
  const r = s.byRole;
  return `${s.total} (${r.server} server, ${r.worker} worker${r.worker === 1 ? '' : 's'}, ${r.helper} helper${r.helper === 1 ? '' : 's'}${s.orphans ? `, ${s.orphans} orphaned` : ''})`;
}

function list(title: string, procs: SavedProcess[], now: Date): string[] {
  if (procs.length === 0) return [`${title}: none`];
  return [`${title}: ${procs.length}`, ...procs.map((p) => `  ${p.pid} ${p.role}/${p.kind ?? '-'}${p.orphan ? ' ORPHAN' : ''} started ${formatStart(p.startTime, now)}  ${truncate(formatArgv(p.argv, ''), 90)}`)];
}

export function renderCompare(c: CountComparison, o: { style: Style; now: Date }): string {
  const s = o.style;
  const e = c.expectation;
  const out: string[] = [];
  const verdict = e.verdict === 'leak' ? s.red(`LEAK: ${e.message}`) : e.verdict === 'ok' ? s.green(`OK: ${e.message}`) : s.yellow(e.message);
  out.push(verdict);
  out.push(`before (${formatStart(c.before.takenAt, o.now)}): ${summaryText(c.before.summary)}`);
  out.push(`now    (${formatStart(c.after.takenAt, o.now)}): ${summaryText(c.after.summary)}${e.expected !== null ? `; expected ${e.expected} (1 + ${e.instances} per running server)` : ''}`);
  out.push('');
  out.push(...list('survived since before', c.survived, o.now));
  out.push(...list('new since before', c.appeared, o.now));
  out.push(...list('gone since before', c.gone, o.now));
  if (e.helpersExplained.length > 0) {
    out.push('', 'helpers (expected, not a leak):');
    for (const h of e.helpersExplained) out.push(`  ${h.pid} ${h.kind}: ${h.why}`);
  }
  if (e.unexplained.length > 0) {
    out.push('', s.red('not explained by a running server:'));
    for (const u of e.unexplained) out.push(`  ${u.pid} ${u.role}/${u.kind ?? '-'}: ${u.why}`);
    out.push('', 'See them with: rerun-doctor procs');
  }
  return out.join('\n') + '\n';
}

export function renderHistory(entries: HistoryEntry[], t: { counts: number[]; tail: number[]; growing: boolean; perRun: number }, o: { style: Style; now: Date; file: string }): string {
  const s = o.style;
  if (entries.length === 0) return `No counts yet (${o.file}). Run "rerun-doctor count before", then "rerun-doctor count after".\n`;
  const out: string[] = [];
  const head = ['when', 'kind', 'total', 'server', 'worker', 'helper', 'orphan', 'runs', 'expected', 'unexplained'];
  const rows = entries.map((h) => [formatStart(h.takenAt, o.now), h.kind, h.summary.total, h.summary.byRole.server, h.summary.byRole.worker, h.summary.byRole.helper, h.summary.orphans, h.summary.runs, h.expected ?? '-', h.unexplained ?? '-'].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out.push(fmt(head), ...rows.map(fmt));
  out.push('');
  if (t.growing) out.push(s.red(`GROWING: the project's process count after each run went ${t.tail.join(' → ')} (+${t.perRun.toFixed(1)} per run that grew): a process leak`));
  else if (t.counts.length >= 2) out.push(s.green(`Not growing: ${t.counts.slice(-5).join(' → ')} after the last runs`));
  else out.push('Too few "count after" entries to see a trend (3 needed).');
  return out.join('\n') + '\n';
}
