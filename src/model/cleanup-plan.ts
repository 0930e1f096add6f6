// The cleanup plan (docs/clean.md, its JSON in docs/json.md): made by actions/plan-cleanup.ts,
// carried out by actions/execute-cleanup.ts, shown by render/clean-plan.ts.
import type { Generation, Role } from './census.js';

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
