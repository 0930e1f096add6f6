// diagnose(): run the rules in the decision tree's order and say the verdict. Pure.
import { RULES, RULE_IDS, type RuleId } from './index.js';
import type { DiagnosisInput, EvidenceKind, Finding, Rule, Severity } from './types.js';

export const DIAGNOSIS_SCHEMA_VERSION = 1;

export interface Skipped {
  id: RuleId;
  /** Why it could not judge: the evidence that was missing, and why that was. */
  reason: string;
}

export interface Diagnosis {
  schemaVersion: number;
  /** One line: the cause first, or "no problem found", never "healthy" when something was not judged. */
  verdict: string;
  status: 'problems' | 'no-problems' | 'no-problems-partial';
  findings: Finding[];
  /** Causes found while orphans or a leak were present: offered after them, not as the cause. */
  deferred: Finding[];
  skipped: Skipped[];
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export function atOrAbove(f: Finding, level: Severity): boolean {
  return RANK[f.severity] >= RANK[level];
}

function missing(input: DiagnosisInput, kind: EvidenceKind): string | null {
  switch (kind) {
    case 'census':
    case 'ports':
      return null;
    case 'history':
      return input.history.available ? null : `count history: ${input.history.reason}`;
    case 'metrics':
      return input.metrics.available ? null : `metrics: ${input.metrics.reason}`;
    case 'gpu':
      return input.gpu.available ? null : `GPU: ${input.gpu.reason}`;
    case 'thermal':
      return input.thermal.available ? null : `thermal: ${input.thermal.reason}`;
  }
}

/**
 * The one line, from the findings and what was not judged: the cause first, or "no problem found"
 * (never "healthy" when something was not judged). Also for a subset of a diagnosis's findings
 * (`check` judges its own run), so that the verdict never contradicts the findings shown.
 */
export function verdictOf(findings: Finding[], skipped: Skipped[]): { verdict: string; status: Diagnosis['status'] } {
  const problems = [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity]).filter((f) => f.severity !== 'info');
  if (problems.length > 0) {
    const head = problems[0]!;
    return { status: 'problems', verdict: `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${head.title}${problems.length > 1 ? `; also ${problems.slice(1).map((f) => f.id).join(', ')}` : ''}` };
  }
  if (skipped.length > 0) {
    return { status: 'no-problems-partial', verdict: `no problem found in what could be checked; not judged: ${skipped.map((s) => s.id).join(', ')} (${[...new Set(skipped.map((s) => s.reason.split(':')[0]))].join(', ')} unavailable)` };
  }
  return { status: 'no-problems', verdict: 'healthy: no orphans, no leak, no shared port, no throttling, no tokenizer spikes' };
}

export function diagnose(input: DiagnosisInput, options: Partial<Record<RuleId, object>> = {}): Diagnosis {
  const findings: Finding[] = [];
  const deferred: Finding[] = [];
  const skipped: Skipped[] = [];
  for (const stage of ['orphans', 'causes'] as const) {
    for (const id of RULE_IDS) {
      const rule = RULES[id] as unknown as Rule<object>;
      if (rule.meta.stage !== stage) continue;
      const why = rule.meta.requires.map((k) => missing(input, k)).filter((x): x is string => x !== null);
      const extra = why.length === 0 ? (rule.meta.cannotJudge?.(input) ?? null) : null;
      if (extra) why.push(extra);
      if (why.length > 0) {
        skipped.push({ id, reason: why.join('; ') });
        continue;
      }
      const out = rule.check(input, { ...rule.meta.defaultOptions, ...(options[id] ?? {}) });
      // Only errors of the first stage (orphans, a leak, GPU memory held) explain a slowdown first;
      // a zombie or an informational note does not hold the causes back.
      const blocking = findings.some((f) => RULES[f.id as RuleId].meta.stage === 'orphans' && f.severity === 'error');
      if (stage === 'causes' && blocking) deferred.push(...out);
      else findings.push(...out);
    }
  }
  findings.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const { verdict, status } = verdictOf(findings, skipped);
  return { schemaVersion: DIAGNOSIS_SCHEMA_VERSION, verdict, status, findings, deferred, skipped };
}
