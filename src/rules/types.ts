// The rule shape (ESLint's): meta + a pure check over the diagnosis input. No I/O, no clock.
import type { Census, PortReport } from '../model/census.js';
import type { CpuEvidence } from '../model/cpu.js';
import type { MultiprocDir } from '../model/multiproc.js';
import type { HistoryEntry } from '../model/count.js';
import type { Finding, Severity, Skipped } from '../model/diagnosis.js';
import type { GpuEvidence } from '../model/gpu.js';
import type { MemoryEvidence } from '../model/memory.js';
import type { ThermalWindow } from '../model/evidence.js';
import type { Outcome } from '../model/outcome.js';
import type { Platform } from '../model/snapshot.js';
import type { ShmEvidence } from '../model/shm.js';
import type { SocketFileEvidence } from '../model/socket-files.js';
import type { MetricsSample } from '../model/metrics-sample.js';

export type { EvidenceItem, Finding, Severity } from '../model/diagnosis.js';

export type EvidenceKind = 'census' | 'ports' | 'history' | 'metrics' | 'gpu' | 'thermal' | 'memory' | 'shm' | 'cpu' | 'multiproc';

/**
 * What the rules read: the evidence document (src/model/evidence.ts) with its census classified
 * and its ports reported (src/diagnosis/input.ts builds it). Every part that may be missing is an
 * Outcome, so a rule (and the diagnosis's "not judged" list) can tell unavailable from failed.
 */
export interface DiagnosisInput {
  platform: Platform;
  census: Census;
  /** The watched ports' reports. */
  ports: PortReport[];
  instances: number | null;
  history: Outcome<HistoryEntry[]>;
  /** Metrics samples over the window (interval values from the second on). */
  metrics: Outcome<MetricsSample[]>;
  gpu: Outcome<GpuEvidence>;
  /** GPU evidence taken before the server was started (check), when there is one. */
  gpuBefore: GpuEvidence | null;
  /** Thermal evidence at the start and the end of the window. */
  thermal: Outcome<ThermalWindow>;
  /** Memory pressure and swap at the end of the window. */
  memory: Outcome<MemoryEvidence>;
  /** /dev/shm: its segments and their holders, how full it is (unavailable on macOS and in older documents). */
  shm: Outcome<ShmEvidence>;
  /** Census at the start of the window, for CPU over the window; null when no window passed. */
  censusBefore: Census | null;
  /** Seconds between censusBefore and census. */
  windowSeconds: number | null;
  /** Pids that `check`/`rerun` found left by the run they started and stopped: their run is not running on purpose. */
  ownLeftovers: number[];
  /** CPUs online and the cgroup CPU quotas of the project's processes (unavailable in an older document). */
  cpu: Outcome<CpuEvidence>;
  /** The prometheus_client multiprocess directories the project's live processes name (unavailable in an older document). */
  multiproc: Outcome<MultiprocDir[]>;
  /** Unix socket files named by the project's runs or found at depth 1 in the project directory, /tmp, $XDG_RUNTIME_DIR (unavailable on macOS and in an older document). */
  socketFiles: Outcome<SocketFileEvidence>;
}

/** A JSON Schema (draft 2020-12 subset ajv checks) for a rule's options, as ESLint's `meta.schema`. */
export interface OptionsSchema {
  type: 'object';
  properties: Record<string, { type: 'number' | 'integer' | 'boolean' | 'string'; minimum?: number; maximum?: number; exclusiveMinimum?: number; description: string }>;
  additionalProperties: false;
}

export interface RuleMeta<O> {
  id: string;
  /** What the rule looks for, in a few words (explain, the docs). */
  title: string;
  /** The severity of its findings unless the config sets another (`rules` in the config). */
  severity: Severity;
  /** Evidence the rule cannot judge without; missing → the rule is skipped, never "all clear". */
  requires: EvidenceKind[];
  /** The decision tree: orphan/leak rules come first; causes are offered only when none fired. */
  stage: 'orphans' | 'causes';
  /** The finding titles, by message id; `{{name}}` is filled from the finding's data. */
  messages: Record<string, string>;
  defaultOptions: O;
  /** Its options' schema: a config's `rules.<id>.options` is checked against it. */
  schema: OptionsSchema;
  /**
   * Beyond `requires`: why this input cannot be judged (too few samples, no such metric), or null.
   * A string is `insufficient` evidence; say `unavailable` or `failed` when that is the reason.
   */
  cannotJudge?: (input: DiagnosisInput) => string | { because: Skipped['because']; reason: string } | null;
}

export interface Rule<O = Record<string, never>> {
  meta: RuleMeta<O>;
  check(input: DiagnosisInput, options: O): Finding[];
}

/** A rule with its options type erased, for the registry and the engine. */
export type AnyRule = Rule<Record<string, unknown>>;

/** The schema of a rule without options. */
export const NO_OPTIONS: OptionsSchema = { type: 'object', properties: {}, additionalProperties: false };
