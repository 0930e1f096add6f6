// The library entry: `import { collectSnapshot, createHost } from 'rerun-doctor'`.
export { createHost, detectPlatform, type Host, type HostOptions } from './host/host.js';
export { collectSnapshot, type CollectOptions } from './probes/collect.js';
export { classify, type ClassifyOptions } from './census/classify.js';
export { takeCensus } from './census/census.js';
export { portReports, topologyOf } from './census/ports.js';
export { judgeCount, compare, trend } from './census/count.js';
export { loadConfig } from './config/load.js';
export { applyOverrides, DEFAULT_CONFIG, ConfigError, type Config } from './config/config.js';
export { PROBES } from './probes/index.js';
export type * from './model/snapshot.js';
export type * from './model/census.js';
export type { Outcome } from './model/outcome.js';
