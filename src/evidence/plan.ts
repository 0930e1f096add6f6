// An evidence plan from the configuration: what to read, where, and how long the window is.
import { join } from 'node:path';
import type { ClassifyOptions } from '../census/classify.js';
import { DEFAULT_CONFIG, type Config } from '../config/config.js';
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
  warn?: (line: string) => void;
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
    metrics: c.metrics && c.samples > 0 ? { url: c.metricsUrl ?? config.metricsUrl, samples: c.samples, intervalMs: c.intervalMs, scrape: c.scrape ?? { timeoutMs: t.metricsTimeoutSeconds * 1000, maxBytes: t.metricsMaxBytes, maxSeries: t.metricsMaxSeries }, keyMetrics: config.keyMetrics } : null,
    metricsOff: 'not sampled (--no-metrics)',
    historyFile: historyFileOf(config, root, env),
    environment: c.environment,
    progress: c.progress,
    warn: c.warn,
  };
}

/** For library users: the defaults (DEFAULT_CONFIG), with what they name. */
export interface EvidencePlanChoices {
  /** The project runs are scoped to (default: none, every run counts as the project's). */
  projectRoot?: string | null;
  ports?: number[];
  serverPattern?: RegExp;
  workerPatterns?: RegExp[];
  instances?: number | null;
  /** Metrics samples over the window (default 3, 2 s apart); false: none. */
  metrics?: false | { url?: string; samples?: number; intervalMs?: number };
  /** The count history file to read (default: none). */
  historyFile?: string | null;
}

export function evidencePlanFor(c: EvidencePlanChoices = {}): EvidencePlan {
  const d = DEFAULT_CONFIG;
  const census: ClassifyOptions = {
    serverPattern: c.serverPattern ?? new RegExp(d.serverPattern),
    workerPatterns: c.workerPatterns ?? [],
    ports: c.ports ?? [...d.ports],
    generationGapSeconds: d.thresholds.generationGapSeconds,
    projectRoot: c.projectRoot ?? null,
  };
  const m = c.metrics === false ? null : (c.metrics ?? {});
  return {
    census,
    instances: c.instances ?? null,
    metrics: m === null ? null : { url: m.url ?? d.metricsUrl, samples: m.samples ?? 3, intervalMs: m.intervalMs ?? d.thresholds.watchIntervalSeconds * 1000, scrape: { timeoutMs: d.thresholds.metricsTimeoutSeconds * 1000, maxBytes: d.thresholds.metricsMaxBytes, maxSeries: d.thresholds.metricsMaxSeries }, keyMetrics: {} },
    metricsOff: 'not sampled (metrics: false)',
    historyFile: c.historyFile ?? null,
  };
}
