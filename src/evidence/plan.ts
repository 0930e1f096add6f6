// An evidence plan from the configuration: what to read, where, and how long the window is.
import { join } from 'node:path';
import type { ClassifyOptions } from '../census/classify.js';
import type { Config } from '../config/config.js';
import { projectStateDir, stateBaseDir } from '../state/store.js';
import type { EvidencePlan } from './collect.js';

export interface PlanChoices {
  /** Metrics samples over the window (1: no window); 0 or `metrics: false`: none. */
  samples: number;
  intervalMs: number;
  metrics: boolean;
  metricsUrl?: string;
  /** Scrape limits (default: the config's thresholds). */
  scrape?: { timeoutMs: number; maxBytes: number };
  environment?: boolean;
  progress?: (line: string) => void;
}

/** The count history `rerun-doctor count` keeps for the project. */
export function historyFileOf(config: Config, root: string, env: NodeJS.ProcessEnv): string {
  return join(projectStateDir(stateBaseDir(config.stateDir, env), root), 'history.ndjson');
}

export function evidencePlan(config: Config, root: string, census: ClassifyOptions, env: NodeJS.ProcessEnv, c: PlanChoices): EvidencePlan {
  const t = config.thresholds;
  return {
    census,
    instances: config.instances,
    metrics: c.metrics && c.samples > 0 ? { url: c.metricsUrl ?? config.metricsUrl, samples: c.samples, intervalMs: c.intervalMs, scrape: c.scrape ?? { timeoutMs: t.metricsTimeoutSeconds * 1000, maxBytes: t.metricsMaxBytes }, keyMetrics: config.keyMetrics } : null,
    metricsOff: 'not sampled (--no-metrics)',
    historyFile: historyFileOf(config, root, env),
    environment: c.environment,
    progress: c.progress,
  };
}
