// The rule registry: one line per rule; ids, docs and flags come from it. Order = the decision
// tree: orphans and leaks first, then the causes offered only when none of those fired.
import { cpuOversubscribed } from './cpu-oversubscribed.js';
import { forkUnsafe } from './fork-unsafe.js';
import { gpuMemoryHeld } from './gpu-memory-held.js';
import { memoryPressure } from './memory-pressure.js';
import { orphanServer } from './orphan-server.js';
import { orphanWorkers } from './orphan-workers.js';
import { portHeld } from './port-held.js';
import { portShared } from './port-shared.js';
import { processLeak } from './process-leak.js';
import { shmLeak } from './shm-leak.js';
import { staleMultiprocDir } from './stale-multiproc-dir.js';
import { thermalThrottling } from './thermal-throttling.js';
import { tokenizerBottleneck } from './tokenizer-bottleneck.js';
import type { AnyRule, Rule } from './types.js';
import { unkillable } from './unkillable.js';
import { zombies } from './zombies.js';

export const RULES = {
  'orphan-server': orphanServer,
  'orphan-workers': orphanWorkers,
  'process-leak': processLeak,
  'gpu-memory-held': gpuMemoryHeld,
  unkillable,
  'shm-leak': shmLeak,
  'port-held': portHeld,
  'port-shared': portShared,
  zombies,
  'memory-pressure': memoryPressure,
  'thermal-throttling': thermalThrottling,
  'tokenizer-bottleneck': tokenizerBottleneck,
  'cpu-oversubscribed': cpuOversubscribed,
  'fork-unsafe': forkUnsafe,
  'stale-multiproc-dir': staleMultiprocDir,
} as const;

// Every entry is a rule (checked here, so a malformed one fails the build at its line).
const _check: Record<string, { meta: Rule<unknown>['meta'] }> = RULES;
void _check;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];

export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(RULES, id);
}

/**
 * The rule behind an id, its options type erased: the engine passes it its own defaults merged with
 * the config's options, which were checked against its own schema (src/rules/settings.ts).
 */
export function ruleOf(id: RuleId): AnyRule {
  return RULES[id] as unknown as AnyRule;
}
