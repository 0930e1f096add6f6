// A census as `procs --redact` and `ports --redact` print it. Apart from share.ts, which runs the
// diagnosis to check its trim: procs and ports load neither the rules nor the diagnosis.
import type { Census } from '../../model/census.js';
import { redactTree } from './tree.js';

/**
 * A census as `procs --redact` and `ports --redact` print it: every process's argv, environment,
 * paths and reasons redacted by the same rules as the evidence (redactTree). Judged before, on
 * the real argv: redacting changes what is shown, never what was found.
 */
export function redactCensus(census: Census): { census: Census; redactions: number } {
  // The snapshot's process rows are the census' processes before judging: redacted alike, and
  // not counted twice (the count is of the values shown).
  const r = redactTree({ ...census, snapshot: { ...census.snapshot, processes: [] } });
  const rows = redactTree(census.snapshot.processes).value;
  return { census: { ...r.value, snapshot: { ...r.value.snapshot, processes: rows } }, redactions: r.redactions };
}
