// From an evidence document to what the rules read: its census classified against the settings it
// was collected with, its ports reported, the window's first census for CPU over it. Pure: a saved
// document gives the same input on any machine.
import { snapshotFailure } from '../census/census.js';
import { classify } from '../census/classify.js';
import { portReports } from '../census/ports.js';
import { classifyOptionsOf } from '../census/settings.js';
import type { Census } from '../model/census.js';
import { UsageError } from '../model/errors.js';
import { OLDER_DOCUMENT, type Evidence } from '../model/evidence.js';
import { unavailable } from '../model/outcome.js';
import type { DiagnosisInput } from '../rules/types.js';

/** Why a document without shared-memory evidence has none. */
export const SHM_NOT_IN_DOCUMENT = 'not in this document (collected by an older rerun-doctor)';

export interface Judged {
  input: DiagnosisInput;
  census: Census;
}

/** `where` names the document in errors (a file name on replay; nothing live). */
export function diagnosisInput(e: Evidence, where?: string): Judged {
  const failure = snapshotFailure(e.snapshot);
  // Without the process list there is nothing to diagnose: say so, never "no problem found".
  if (failure) throw new UsageError(where ? `${where}: ${failure}` : failure);
  const opts = classifyOptionsOf(e.settings.census, where ?? 'the settings');
  const census = classify(e.snapshot, opts);
  const input: DiagnosisInput = {
    platform: e.snapshot.platform,
    census,
    ports: portReports(census, opts.ports, opts.ports),
    instances: e.settings.instances,
    history: e.history,
    metrics: e.metrics.status === 'ok' ? { ...e.metrics, value: e.metrics.value.samples } : e.metrics,
    gpu: e.gpu,
    gpuBefore: e.gpuBefore,
    thermal: e.thermal,
    memory: e.memory ?? unavailable('not in this document (collected by an older rerun-doctor)', 'memory'),
    shm: e.shm ?? unavailable(SHM_NOT_IN_DOCUMENT, 'the evidence document'),
    censusBefore: e.window ? classify(e.window.before, opts) : null,
    windowSeconds: e.window?.seconds ?? null,
    ownLeftovers: e.ownLeftovers ?? [],
    cpu: e.cpu ?? unavailable(OLDER_DOCUMENT, 'evidence document'),
    multiproc: e.multiproc ?? unavailable(OLDER_DOCUMENT, 'evidence document'),
    socketFiles: e.socketFiles ?? unavailable(OLDER_DOCUMENT, 'evidence document'),
  };
  return { input, census };
}
