// What a diagnosis says: findings with their evidence, what could not be judged and why, and the
// verdict in one line. Plain JSON (docs/diagnose.md): `diagnose --json`, the evidence bundle and the
// golden replays all carry it.

export const DIAGNOSIS_SCHEMA_VERSION = 2;

export type Severity = 'error' | 'warning' | 'info';
/** What a rule can be set to in the config (`rules` in docs/config.md): a severity, or off. */
export type RuleLevel = Severity | 'off';

export interface EvidenceItem {
  /** Where it came from: `/proc/4242/stat`, `/proc/net/tcp6`, `lsof -F`, `GET /metrics`, `nvidia-smi`, `count history`. */
  source: string;
  text: string;
}

export interface Finding {
  /** The rule that found it. */
  id: string;
  /** Which of the rule's messages the title is (`meta.messages`), and the values filled into it. */
  messageId: string;
  data: Record<string, string | number>;
  severity: Severity;
  title: string;
  pids: number[];
  ports: number[];
  evidence: EvidenceItem[];
  /** What to do now, in one or two sentences; the rule's doc page has the code-level fix. */
  fix: string;
  /** The commands to run next. */
  next: string[];
  /** 'low' when the platform gives no direct evidence (thermal without throttle counters). */
  confidence: 'high' | 'low';
}

export interface Skipped {
  id: string;
  /**
   * Why it could not judge: the evidence that was missing and why. `unavailable`: there is none to
   * read here (no nvidia-smi, metrics not sampled); `failed`: it exists but could not be read (a
   * scrape answered 500, nvidia-smi crashed); `insufficient`: read, but not enough to judge (one
   * sample, no tokenize metric).
   */
  because: 'unavailable' | 'failed' | 'insufficient';
  reason: string;
}

export interface Diagnosis {
  schemaVersion: typeof DIAGNOSIS_SCHEMA_VERSION;
  /** One line: the cause first, or "no problem found", never "healthy" when something was not judged. */
  verdict: string;
  status: 'problems' | 'no-problems' | 'no-problems-partial';
  findings: Finding[];
  /** Causes found while orphans or a leak were present: offered after them, not as the cause. */
  deferred: Finding[];
  skipped: Skipped[];
  /** Rules the config turned off (`rules` in the config): not run, and said so. */
  off: string[];
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function atOrAbove(f: Pick<Finding, 'severity'>, level: Severity): boolean {
  return RANK[f.severity] >= RANK[level];
}
