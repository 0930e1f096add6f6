// The diagnosis for people (text) and for sharing (Markdown): the verdict first, then each
// finding with its evidence, the fix and the next command; then what could not be judged.
import type { Diagnosis, Finding, Skipped } from '../model/diagnosis.js';
import type { Style } from './style.js';

const MARK = { error: '✖', warning: '!', info: 'i' } as const;
const BECAUSE: Record<Skipped['because'], string> = { unavailable: 'evidence unavailable', failed: 'evidence could not be read', insufficient: 'not enough evidence' };

/** One finding, for people: its level, id and title, its evidence, the fix, what to run next. */
export function renderFindingText(f: Finding, s: Style): string[] {
  const color = f.severity === 'error' ? s.red : f.severity === 'warning' ? s.yellow : s.dim;
  const out = [`${color(`${MARK[f.severity]} ${f.severity}`)}  ${s.bold(f.id)}  ${f.title}${f.confidence === 'low' ? s.yellow(' (low confidence)') : ''}`];
  out.push('    evidence:');
  for (const e of f.evidence) out.push(`      - ${e.text} ${s.dim(`[${e.source}]`)}`);
  out.push(`    fix: ${f.fix}`);
  out.push(`    next: ${f.next.join('\n          ')}`);
  return out;
}

export function renderDiagnosisText(d: Diagnosis, s: Style): string {
  const out: string[] = [];
  const head = d.status === 'problems' ? s.red(d.verdict) : d.status === 'no-problems' ? s.green(d.verdict) : s.yellow(d.verdict);
  out.push(`${s.bold('Verdict:')} ${head}`);
  for (const f of d.findings) out.push('', ...renderFindingText(f, s));
  if (d.deferred.length > 0) {
    out.push('', s.bold('Also seen (the decision tree offers these only when no orphan or leak explains the slowdown):'));
    for (const f of d.deferred) out.push('', ...renderFindingText(f, s));
  }
  if (d.skipped.length > 0) {
    out.push('', s.bold('Not judged:'));
    for (const k of d.skipped) out.push(`  - ${k.id} (${BECAUSE[k.because]}): ${k.reason}`);
  }
  if (d.off.length > 0) out.push('', `${s.bold('Turned off in the config:')} ${d.off.join(', ')}`);
  return out.join('\n') + '\n';
}

function findingMd(f: Finding): string[] {
  const out = [`### ${f.severity === 'error' ? '❌' : f.severity === 'warning' ? '⚠️' : 'ℹ️'} \`${f.id}\`: ${f.title}${f.confidence === 'low' ? ' (low confidence)' : ''}`, ''];
  if (f.pids.length) out.push(`- pids: ${f.pids.join(', ')}`);
  if (f.ports.length) out.push(`- ports: ${f.ports.map((p) => `:${p}`).join(', ')}`);
  out.push('', '**Evidence**', '');
  for (const e of f.evidence) out.push(`- ${e.text} _(${e.source})_`);
  out.push('', `**Fix:** ${f.fix}`, '', '**Next:**', '', '```sh', ...f.next, '```', '');
  return out;
}

export function renderDiagnosisMarkdown(d: Diagnosis): string {
  const out = ['## Diagnosis', '', `**Verdict:** ${d.verdict}`, ''];
  for (const f of d.findings) out.push(...findingMd(f));
  if (d.deferred.length > 0) {
    out.push('### Also seen', '', 'Offered only when no orphan or leak explains the slowdown:', '');
    for (const f of d.deferred) out.push(...findingMd(f));
  }
  if (d.skipped.length > 0) {
    out.push('### Not judged', '', ...d.skipped.map((k) => `- \`${k.id}\` (${BECAUSE[k.because]}): ${k.reason}`), '');
  }
  if (d.off.length > 0) out.push('### Turned off in the config', '', ...d.off.map((id) => `- \`${id}\``), '');
  return out.join('\n');
}
