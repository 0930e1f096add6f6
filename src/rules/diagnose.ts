// runRules(): the rules in the decision tree's order, the config's levels and options applied, and
// the verdict. Pure: the same input gives the same diagnosis (src/diagnosis/diagnose.ts builds the
// input from an evidence document).
import { DIAGNOSIS_SCHEMA_VERSION, severityRank, type Diagnosis, type Finding, type Skipped } from '../model/diagnosis.js';
import type { Outcome } from '../model/outcome.js';
import { RULE_IDS, RULES, ruleOf, type RuleId } from './index.js';
import { levelFor, type RuleSettings } from './settings.js';
import type { DiagnosisInput, EvidenceKind } from './types.js';

const NAMES: Record<Exclude<EvidenceKind, 'census' | 'ports'>, string> = { history: 'count history', metrics: 'metrics', gpu: 'GPU', thermal: 'thermal', memory: 'memory', shm: 'shared memory', cpu: 'CPU quota', multiproc: 'multiprocess directory' };

function missing(input: DiagnosisInput, kind: EvidenceKind): { because: Skipped['because']; reason: string } | null {
  if (kind === 'census' || kind === 'ports') return null;
  const o: Outcome<unknown> = input[kind];
  return o.status === 'ok' ? null : { because: o.status, reason: `${NAMES[kind]}: ${o.reason}` };
}

const bySeverity = (a: Finding, b: Finding) => severityRank(b.severity) - severityRank(a.severity);

/**
 * The one line, from the findings and what was not judged: the cause first, or "no problem found"
 * (never "healthy" when something was not judged or turned off). Also for a subset of a diagnosis's
 * findings (`check` judges its own run), so that the verdict never contradicts the findings shown.
 */
export function verdictOf(findings: Finding[], skipped: Skipped[], off: string[] = []): { verdict: string; status: Diagnosis['status'] } {
  const problems = [...findings].sort(bySeverity).filter((f) => f.severity !== 'info');
  if (problems.length > 0) {
    const head = problems[0]!;
    return { status: 'problems', verdict: `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${head.title}${problems.length > 1 ? `; also ${problems.slice(1).map((f) => f.id).join(', ')}` : ''}` };
  }
  const offNote = off.length > 0 ? `; turned off in the config: ${off.join(', ')}` : '';
  if (skipped.length > 0) {
    // "metrics unavailable", "GPU failed": which evidence, and whether it was missing or broken.
    const why = [...new Set(skipped.map((s) => `${s.reason.split(':')[0]} ${s.because === 'insufficient' ? 'insufficient' : s.because}`))];
    return { status: 'no-problems-partial', verdict: `no problem found in what could be checked; not judged: ${skipped.map((s) => s.id).join(', ')} (${why.join(', ')})${offNote}` };
  }
  if (off.length > 0) return { status: 'no-problems-partial', verdict: `no problem found by the rules that ran${offNote}` };
  return { status: 'no-problems', verdict: 'healthy: no orphans, no leak (processes or shared memory), no port or GPU memory held by a dead run, no shared port, no throttling or memory pressure, no oversubscribed CPU, no tokenizer spikes' };
}

export function runRules(input: DiagnosisInput, settings: RuleSettings = {}): Diagnosis {
  const findings: Finding[] = [];
  const deferred: Finding[] = [];
  const skipped: Skipped[] = [];
  const off: RuleId[] = [];
  for (const stage of ['orphans', 'causes'] as const) {
    for (const id of RULE_IDS) {
      const rule = ruleOf(id);
      if (rule.meta.stage !== stage) continue;
      if (settings[id]?.level === 'off') {
        off.push(id);
        continue;
      }
      const gaps = rule.meta.requires.map((k) => missing(input, k)).filter((x): x is NonNullable<typeof x> => x !== null);
      if (gaps.length === 0) {
        const extra = rule.meta.cannotJudge?.(input) ?? null;
        if (extra) gaps.push(typeof extra === 'string' ? { because: 'insufficient', reason: extra } : extra);
      }
      if (gaps.length > 0) {
        // Failed outranks unavailable: a broken source is the one to mention.
        const because = gaps.some((g) => g.because === 'failed') ? 'failed' : gaps[0]!.because;
        skipped.push({ id, because, reason: gaps.map((g) => g.reason).join('; ') });
        continue;
      }
      const out = rule.check(input, { ...rule.meta.defaultOptions, ...(settings[id]?.options ?? {}) }).map((f) => ({ ...f, severity: levelFor(settings, id, f.severity) }));
      // Only errors of the first stage (orphans, a leak, GPU memory held) explain a slowdown first;
      // a zombie or an informational note does not hold the causes back.
      const blocking = findings.some((f) => RULES[f.id as RuleId].meta.stage === 'orphans' && f.severity === 'error');
      if (stage === 'causes' && blocking) deferred.push(...out);
      else findings.push(...out);
    }
  }
  findings.sort(bySeverity);
  const { verdict, status } = verdictOf(findings, skipped, off);
  return { schemaVersion: DIAGNOSIS_SCHEMA_VERSION, verdict, status, findings, deferred, skipped, off };
}
