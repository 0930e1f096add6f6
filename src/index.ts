// The library entry (`import { collectEvidence, diagnose } from 'rerun-doctor'`): the main job as
// functions, and the layers under it. docs/architecture.md describes each.

// The main job: collect the evidence, diagnose it, plan what clean would end.
export { collectEvidence, evidenceSession, censusEvidence, type EvidencePlan, type EvidenceSession, type MetricsPlan } from './evidence/collect.js';
export { evidencePlan, evidencePlanFor, type EvidencePlanChoices } from './evidence/plan.js';
export { parseEvidence, readEvidenceFile, checkEvidence } from './evidence/replay.js';
export { shareable, type Shared } from './evidence/share.js';
export { diagnose, type DiagnoseOptions } from './diagnosis/diagnose.js';
export { diagnosisInput } from './diagnosis/input.js';
export { planCleanup, cleanupOptions, type PlanOptions } from './actions/plan-cleanup.js';
export { RULES, RULE_IDS, type RuleId } from './rules/index.js';
export { resolveRuleSettings, type RuleSettings } from './rules/settings.js';
export { renderDiagnosisText, renderDiagnosisMarkdown } from './render/diagnosis.js';
export { makeStyle } from './render/style.js';

// The layers under it: the machine, the snapshot, the census.
export { createHost, detectPlatform, type Host, type HostOptions } from './host/host.js';
export { collectSnapshot, type CollectOptions } from './probes/collect.js';
export { classify, type ClassifyOptions } from './census/classify.js';
export { takeCensus, censusSnapshot } from './census/census.js';
export { portReports, topologyOf } from './census/ports.js';
export { judgeCount, compare, trend } from './census/count.js';
export { loadConfig } from './config/load.js';
export { applyOverrides, DEFAULT_CONFIG, ConfigError, type Config } from './config/config.js';
export { PROBES } from './probes/index.js';
export { UsageError } from './model/errors.js';
export type * from './model/snapshot.js';
export type * from './model/census.js';
export type * from './model/evidence.js';
export type * from './model/diagnosis.js';
export type * from './model/cleanup-plan.js';
export type { Outcome } from './model/outcome.js';
