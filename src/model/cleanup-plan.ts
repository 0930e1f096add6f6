// The cleanup plan (docs/clean.md, its JSON in docs/json.md): made by actions/plan-cleanup.ts,
// carried out by actions/execute-cleanup.ts, shown by render/clean-plan.ts.
import type { TerminateOutcome } from './process-ref.js';
import type { Generation, Role } from './census.js';

/** `clean --json` (docs/clean.md): 2 since runs carry their decision and reason. */
export const PLAN_SCHEMA_VERSION = 2;

export interface Target {
  pid: number;
  /** Identity at planning time: the process is re-read before every signal and skipped on a mismatch. */
  startKey: number;
  uid: number | null;
  role: Role | null;
  kind: string | null;
  argv: string[];
  ports: number[];
  why: string;
  /** The run (census generation id) it was left behind by. */
  run: number;
  /** Ended in this order: `processes` (servers, workers, launchers) first, then `helpers` (trackers), which get their grace to unlink what they track. */
  phase: 'processes' | 'helpers';
}

export interface Excluded {
  pid: number;
  argv: string[];
  why: string;
}

export interface RunDecision {
  id: number;
  status: Generation['status'];
  scope: Generation['scope'];
  cwd: string | null;
  decision: 'clean' | 'leave';
  why: string;
}

export interface CleanupPlan {
  targets: Target[];
  excluded: Excluded[];
  runs: RunDecision[];
}

export interface TargetResult {
  pid: number;
  outcome: TerminateOutcome;
  detail: string;
  /** The round (1 = the plan shown) that found it. */
  round: number;
}

export interface CleanupReport {
  results: TargetResult[];
  survivors: number[];
  /** Rounds taken: the plan, then one more for each re-census that found more of the dead runs. */
  rounds: number;
}

/** After a cleanup: whether the ports the targets held are free, and whether they still hold GPU memory. */
export interface CleanupCheck {
  ports: Array<{ port: number; free: boolean; heldByTargets: number[]; heldByOthers: number[] }>;
  /** null when GPU state could not be read (`gpuReason` says why). */
  gpuStillHeldBy: number[] | null;
  gpuReason: string | null;
}
