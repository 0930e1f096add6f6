// One `watch procs` sample (src/watch/proc-sampler.ts takes them): counts, CPU and memory by role,
// what appeared and vanished.
import type { Role } from './census.js';

export interface ProcRef {
  pid: number;
  role: Role;
  kind: string | null;
  orphan: boolean;
}

export interface ProcSample {
  ok: true;
  t: string;
  counts: Record<Role, number>;
  orphans: number;
  zombies: number;
  runs: number;
  /** CPU over the interval, percent of one core, summed per role (null on the first sample). */
  cpuPercent: Record<Role, number> | null;
  rssBytes: Record<Role, number>;
  appeared: ProcRef[];
  vanished: ProcRef[];
  /** What this sample cost, in-process. */
  costMs: number;
}

export type ProcSampleResult = ProcSample | { ok: false; t: string; error: string; costMs: number };
