// One call from a Host to a classified census.
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import { collectSnapshot } from '../probes/collect.js';
import { classify, type ClassifyOptions } from './classify.js';

export async function takeCensus(host: Host, opts: ClassifyOptions, extra: { enrichAll?: boolean } = {}): Promise<Census> {
  const snapshot = await collectSnapshot(host, { classify: opts, enrichAll: extra.enrichAll });
  return classify(snapshot, opts);
}

/** The processes probe must work for a census to mean anything; say why when it did not. */
export function censusFailure(census: Census): string | null {
  const p = census.snapshot.probes.find((r) => r.probe.startsWith('processes.'));
  if (!p || p.status === 'ok') return null;
  return `cannot list processes (${p.source}): ${p.message ?? p.status}`;
}
