import { resolve } from 'node:path';
// Everything a census command needs, built from flags + config file: host, options, config.
import { applyOverrides, compileServerPattern, compileWorkerPatterns, type Config } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import type { ClassifyOptions } from '../census/classify.js';
import { createHost, type Host } from '../host/host.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

/** Flags every census command understands. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  'proc-root': { type: 'string' },
  'sys-root': { type: 'string' },
  port: { type: 'string', multiple: true },
  'server-pattern': { type: 'string' },
  'worker-pattern': { type: 'string', multiple: true },
  instances: { type: 'string' },
  'state-dir': { type: 'string' },
  project: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonValues {
  json?: boolean;
  config?: string;
  'proc-root'?: string;
  'sys-root'?: string;
  port?: string[];
  'server-pattern'?: string;
  'worker-pattern'?: string[];
  instances?: string;
  'state-dir'?: string;
  project?: string;
}

export interface Context {
  host: Host;
  config: Config;
  configSource: string | null;
  /** The project root: the config file's directory, or the cwd. Keys saved state. */
  root: string;
  classify: ClassifyOptions;
  json: boolean;
}

export function parsePortList(values: string[], what: string): number[] {
  const out: number[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim().replace(/^:/, '');
      const n = Number(t);
      if (t === '' || !Number.isInteger(n) || n < 1 || n > 65535) {
        throw new UsageError(`${what} "${part}" is not a port: expected an integer 1-65535`);
      }
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

export function parseCount(v: string, what: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${what} "${v}" is not a count: expected an integer ≥ 0`);
  return n;
}

export function makeContext(values: CommonValues, io: Io, extraPorts: number[] = []): Context {
  const loaded = loadConfig({ cwd: io.cwd, explicitPath: values.config ?? null });
  const { config: fileConfig, source } = loaded;
  // The project runs are judged against (docs/attribution.md, "Project scope"): --project, else
  // the config file's directory, else the cwd. It need not exist here (a replayed snapshot's).
  const root = values.project !== undefined ? resolve(io.cwd, values.project) : loaded.root;
  const flags: Partial<Config> = {};
  if (values.port) flags.ports = parsePortList(values.port, '--port');
  if (values['server-pattern'] !== undefined) flags.serverPattern = values['server-pattern'];
  if (values['worker-pattern']) flags.workerPatterns = values['worker-pattern'];
  if (values.instances !== undefined) flags.instances = parseCount(values.instances, '--instances');
  if (values['state-dir'] !== undefined) flags.stateDir = resolve(io.cwd, values['state-dir']);
  const config = applyOverrides(fileConfig, flags);
  let serverPattern: RegExp;
  let workerPatterns: RegExp[];
  try {
    serverPattern = compileServerPattern(config);
    workerPatterns = compileWorkerPatterns(config);
  } catch (e) {
    throw new UsageError(`--server-pattern/--worker-pattern: not a valid regular expression: ${(e as Error).message}`);
  }
  const host = createHost({ procRoot: values['proc-root'], sysRoot: values['sys-root'], env: io.env });
  const ports = [...config.ports];
  for (const p of extraPorts) if (!ports.includes(p)) ports.push(p);
  return {
    host,
    config,
    configSource: source,
    root,
    json: values.json === true,
    classify: { serverPattern, workerPatterns, ports, generationGapSeconds: config.thresholds.generationGapSeconds, projectRoot: root },
  };
}
