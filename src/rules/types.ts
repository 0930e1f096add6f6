// The rule shape (ESLint's): meta + a pure check over the diagnosis input. No I/O, no clock.
import type { HistoryEntry } from '../model/count.js';
import type { Census, PortReport } from '../model/census.js';
import type { GpuEvidence } from '../model/gpu.js';
import type { ThermalEvidence } from '../model/thermal.js';
import type { MetricsSample } from '../watch/metrics-sample.js';

export type Severity = 'error' | 'warning' | 'info';
export type EvidenceKind = 'census' | 'ports' | 'history' | 'metrics' | 'gpu' | 'thermal';

export interface EvidenceItem {
  /** Where it came from: `/proc/4242/stat`, `/proc/net/tcp6`, `GET /metrics`, `nvidia-smi`, `count history`. */
  source: string;
  text: string;
}

export interface Finding {
  id: string;
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

/** Evidence that may be missing: available (with its value) or not, with the reason. */
export type Maybe<T> = { available: true; value: T } | { available: false; reason: string };

export interface DiagnosisInput {
  census: Census;
  /** The watched ports' reports. */
  ports: PortReport[];
  instances: number | null;
  history: Maybe<HistoryEntry[]>;
  /** Metrics samples over the window (interval values from the second on). */
  metrics: Maybe<MetricsSample[]>;
  gpu: Maybe<GpuEvidence>;
  /** GPU evidence taken before the server was started (check), when there is one. */
  gpuBefore?: GpuEvidence | null;
  /** Thermal evidence at the start and the end of the window. */
  thermal: Maybe<{ first: ThermalEvidence; last: ThermalEvidence }>;
  /** Census at the start of the window, for CPU over the window. */
  censusBefore?: Census | null;
  /** Seconds between censusBefore and census. */
  windowSeconds?: number;
  /** Pids that `check`/`rerun` found left by the run they started and stopped: their run is not running on purpose. */
  ownLeftovers?: number[];
}

export interface RuleMeta<O> {
  id: string;
  title: string;
  severity: Severity;
  /** Evidence the rule cannot judge without; missing → the rule is skipped, never "all clear". */
  requires: EvidenceKind[];
  /** The decision tree: orphan/leak rules come first; causes are offered only when none fired. */
  stage: 'orphans' | 'causes';
  defaultOptions: O;
  /** Beyond `requires`: why this input cannot be judged (too few samples, no such metric), or null. */
  cannotJudge?: (input: DiagnosisInput) => string | null;
}

export interface Rule<O = Record<string, never>> {
  meta: RuleMeta<O>;
  check(input: DiagnosisInput, options: O): Finding[];
}
