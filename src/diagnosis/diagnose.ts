// diagnose(evidence): the main job as a function. The same document, live or replayed from a file,
// gives the same diagnosis (the golden replays in test/fixtures/evidence/ hold it to that).
import type { Diagnosis } from '../model/diagnosis.js';
import type { Evidence } from '../model/evidence.js';
import { runRules } from '../rules/diagnose.js';
import type { RuleSettings } from '../rules/settings.js';
import { diagnosisInput } from './input.js';

export interface DiagnoseOptions {
  /** The config's `rules` (levels and options), checked by resolveRuleSettings. */
  rules?: RuleSettings;
  /** Names the document in errors (its file, on a replay). */
  where?: string;
}

export function diagnose(evidence: Evidence, o: DiagnoseOptions = {}): Diagnosis {
  return runRules(diagnosisInput(evidence, o.where).input, o.rules ?? {});
}
