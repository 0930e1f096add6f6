// explain's output: for a finding id, its page and fix recipes; for a diagnosis, each finding with
// its evidence, then the page of its rule (once per rule).
import type { Diagnosis, Finding } from '../model/diagnosis.js';
import { renderFindingText } from './diagnosis.js';
import type { Style } from './style.js';

export interface RulePage {
  id: string;
  /** docs/rules/<id>.md */
  page: string;
  /** The rows of docs/fixes/README.md for it, rendered. */
  recipes: string[];
}

export function renderRulePage(p: RulePage): string {
  const out = [p.page.trimEnd(), ''];
  if (p.recipes.length > 0) out.push('', '## Fix recipes (docs/fixes/)', '', ...p.recipes.map((r) => `- ${r}`), '');
  return out.join('\n');
}

/** Each rule that found something: its findings here (with the evidence), then its page. */
export function renderExplanation(d: Diagnosis, pages: Map<string, RulePage>, s: Style, where: string, only?: string): string {
  const found: Finding[] = [...d.findings, ...d.deferred].filter((f) => only === undefined || f.id === only);
  if (found.length === 0) return `${s.bold(only ? `No ${only} finding` : 'Nothing to explain')} in ${where}; its verdict: ${d.verdict}\n`;
  const out = [`${s.bold('Verdict:')} ${d.verdict}`, ''];
  for (const id of [...new Set(found.map((f) => f.id))]) {
    out.push(s.bold(`━━ ${id}: what was found in ${where}`), '');
    for (const f of found.filter((x) => x.id === id)) out.push(...renderFindingText(f, s), '');
    const page = pages.get(id);
    if (page) out.push(renderRulePage(page));
  }
  return out.join('\n');
}
