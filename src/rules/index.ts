// The rule registry: one line per rule; ids, docs and flags come from it. Order = the decision
// tree: orphans and leaks first, then the causes offered only when none of those fired.
import { gpuMemoryHeld } from './gpu-memory-held.js';
import { orphanServer } from './orphan-server.js';
import { orphanWorkers } from './orphan-workers.js';
import { portShared } from './port-shared.js';
import { processLeak } from './process-leak.js';
import { thermalThrottling } from './thermal-throttling.js';
import { tokenizerBottleneck } from './tokenizer-bottleneck.js';
import { zombies } from './zombies.js';

export const RULES = {
  'orphan-server': orphanServer,
  'orphan-workers': orphanWorkers,
  'process-leak': processLeak,
  'gpu-memory-held': gpuMemoryHeld,
  'port-shared': portShared,
  zombies,
  'thermal-throttling': thermalThrottling,
  'tokenizer-bottleneck': tokenizerBottleneck,
} as const;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];
