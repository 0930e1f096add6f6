// What `check` found about one run it started and stopped (src/actions/run-check.ts).
import type { Diagnosis } from './diagnosis.js';
import type { Evidence } from './evidence.js';
import type { MetricsSample } from './metrics-sample.js';

export interface CheckResult {
  ok: boolean;
  /** Why the run could not be checked (the server exited early, never got ready). */
  error: string | null;
  serverPid: number | null;
  readyMs: number | null;
  loadMs: number | null;
  loadExit: number | null;
  stopSignals: string[];
  exitedAfterMs: number | null;
  /** Processes the run left behind: started after the run began, still alive after the settle. */
  leftBehind: Array<{ pid: number; role: string | null; kind: string | null; orphan: boolean; argv: string[] }>;
  metricsBefore: MetricsSample | null;
  metricsAfterLoad: MetricsSample | null;
  gpuBeforeMiB: number | null;
  gpuAfterMiB: number | null;
  diagnosis: Diagnosis | null;
  /** What the diagnosis was made from (replay it with diagnose --from; check --save writes it). */
  evidence: Evidence | null;
  logFile: string;
}
