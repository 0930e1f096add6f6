// The cleanup plan (docs/clean.md, its JSON in docs/json.md): made by actions/plan-cleanup.ts,
// carried out by actions/execute-cleanup.ts, shown by render/clean-plan.ts.
import type { TerminateOutcome } from './process-ref.js';
import type { Generation, Role } from './census.js';
import type { ShmEvidence, ShmKind } from './shm.js';

/** `clean --json` (docs/clean.md): 2 since runs carry their decision and reason; 3 since the shared-memory plan (`shm`, `shmReport`). */
export const PLAN_SCHEMA_VERSION = 3;

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
  /** The bounded wait for the GPU memory the targets held (actions/gpu-wait.ts); null when nothing was waited for. */
  gpuWait?: GpuWait | null;
  /** Targets that survived SIGKILL in uninterruptible sleep (D): the kernel or the driver holds them. */
  unkillable?: Unkillable[];
}

/** One GPU in the wait: what it used before the cleanup, what the targets held of it, the baseline, and now. */
export interface GpuWaitDevice {
  index: number;
  uuid: string | null;
  beforeMiB: number | null;
  /** What the targets held on it (MiB) as nvidia-smi listed them; null when any of theirs was unknown (a /dev/nvidia* holder, [N/A]). */
  targetsMiB: number | null;
  /** beforeMiB − targetsMiB: what it should use once they are gone; null when unknown (then only their leaving is waited for). */
  baselineMiB: number | null;
  /** The last reading. */
  nowMiB: number | null;
}

/**
 * After ending processes that held GPU memory: polled until every ended pid has left NVML (and lets
 * go of /dev/nvidia*) and each GPU's memory is back within `toleranceMiB` of its baseline, or until
 * the bound. `free`: both happened; `still-held`: not by the bound; `unreadable`: nvidia-smi failed meanwhile.
 */
export interface GpuWait {
  outcome: 'free' | 'still-held' | 'unreadable';
  /** How long it waited (ms), from the end of the cleanup to the deciding reading. */
  waitedMs: number;
  boundMs: number;
  toleranceMiB: number;
  /** The ended pids that held GPU memory before, the ones waited for. */
  pids: number[];
  /** Of those, the ones nvidia-smi still lists or that still hold /dev/nvidia* at the last reading. */
  stillHeldBy: number[];
  devices: GpuWaitDevice[];
  /** Why unreadable; null otherwise. */
  reason: string | null;
}

/** A target that survived SIGKILL in state D (clean's report; the `unkillable` rule says the same from a census). */
export interface Unkillable {
  pid: number;
  state: string;
  /** Whether SIGKILL is pending (SigPnd/ShdPnd); null when status was not read. */
  sigkillPending: boolean | null;
  /** Whether it holds GPU memory (listed by nvidia-smi or holding /dev/nvidia*); null when unknown. */
  holdsGpu: boolean | null;
  /** The GPU to reset (its UUID, or index), when known. */
  gpu: string | null;
  advice: string;
}

/** A shared-memory segment `clean --shm` unlinks (actions/plan-shm.ts), after the processes are ended. */
export interface ShmTarget {
  name: string;
  kind: ShmKind;
  /** What it takes from the filesystem (bytes). */
  bytes: number;
  uid: number;
  /** Its identity at planning time, checked again right before the unlink: device, inode, mtime (ms). */
  dev: string;
  ino: number;
  mtimeMs: number;
  createdAt: string;
  why: string;
  /** The dead runs it is of (none when no process of its run is left). */
  runs: number[];
  /** Processes of the plan that hold it (or made it) now: it is unlinked only if nothing holds it once they are ended. */
  after: number[];
}

export interface ShmLeft {
  name: string;
  kind: ShmKind;
  bytes: number;
  uid: number;
  /** The judgement (src/census/shm.ts): leaked (but not this clean's to remove), held-by-dead-run, maybe-in-use, unknown. */
  state: string;
  why: string;
}

export interface ShmPlan {
  /** --shm was given: the targets are unlinked. Without it they are only shown. */
  enabled: boolean;
  dir: string;
  /** Whether /dev/shm could be read; `reason` says why not. */
  status: 'ok' | 'unavailable' | 'failed';
  reason: string | null;
  usage: ShmEvidence['usage'];
  targets: ShmTarget[];
  /** Segments of dead runs (or that look like it) that are left, each with why. */
  left: ShmLeft[];
  /** Segments live processes use (or whose creator is alive): left, counted, not listed. */
  inUse: { count: number; bytes: number };
}

export interface ShmResult {
  name: string;
  /**
   * unlinked; already-gone (its run's tracker or torch_shm_manager removed it once the run ended, or
   * someone else did); changed (another file by that name now: not touched); held (a live process
   * holds it now: not touched); unknown (nothing in view holds it, but that cannot be told for sure:
   * not touched); denied; failed.
   */
  outcome: 'unlinked' | 'already-gone' | 'changed' | 'held' | 'unknown' | 'denied' | 'failed';
  detail: string;
  bytes: number;
}
