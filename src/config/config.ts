// The config model: defaults, validation of a file's table (JSON object or
// [tool.rerun-doctor]), flag overrides and the compiled process patterns.
// Reading and finding files lives in load.ts; this module touches no fs.
import { isAbsolute, resolve } from 'node:path';

export interface Thresholds {
  /** Seconds a process census waits for a just-restarted server to settle. */
  settleSeconds: number;
  /** Start-time gap (seconds) that separates one server generation from the next. */
  generationGapSeconds: number;
  /** Seconds a metrics scrape (or gRPC health check) may take. */
  metricsTimeoutSeconds: number;
  /** Largest metrics body read, in bytes (after gunzip). */
  metricsMaxBytes: number;
  /** Seconds between watch samples. */
  watchIntervalSeconds: number;
}

/** The metrics the diagnosis needs, recognised by name (src/metrics/key-metrics.ts KEY_METRICS). */
export const KEY_METRIC_NAMES = ['tokenize', 'request-latency', 'queue-depth', 'worker-count', 'gpu-memory'] as const;
export type KeyMetricName = (typeof KEY_METRIC_NAMES)[number];

export interface Config {
  ports: number[];
  /** JS RegExp source matched against a process's joined argv. */
  serverPattern: string;
  /** Extra RegExp sources for renamed workers, beyond the built-in ones. */
  workerPatterns: string[];
  /** Expected worker count (1 main + N workers); null: not checked / inferred. */
  instances: number | null;
  /** Absolute directory for saved state; null: the default location. */
  stateDir: string | null;
  /** Where the server's Prometheus metrics are. */
  metricsUrl: string;
  /** The gRPC port whose health `ports` and `metrics` check; null: none. */
  grpcPort: number | null;
  /** Extra name patterns (RegExp sources) per key metric, tried before the built-in ones. */
  keyMetrics: Partial<Record<KeyMetricName, string[]>>;
  thresholds: Thresholds;
}

/** What `applyOverrides` accepts: any subset of Config, thresholds field by field. */
export type ConfigOverrides = Partial<Omit<Config, 'thresholds'>> & { thresholds?: Partial<Thresholds> | undefined };

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  ports: Object.freeze([50051, 8080]) as number[],
  serverPattern: 'python.*-m src\\.main',
  workerPatterns: Object.freeze([] as string[]) as string[],
  instances: null,
  stateDir: null,
  metricsUrl: 'http://127.0.0.1:8080/metrics',
  grpcPort: 50051,
  keyMetrics: Object.freeze({}),
  thresholds: Object.freeze({ settleSeconds: 2, generationGapSeconds: 30, metricsTimeoutSeconds: 2, metricsMaxBytes: 32 * 1024 * 1024, watchIntervalSeconds: 2 }),
});

/** The keys as written in files (kebab-case, like Python tools in pyproject). */
export const CONFIG_KEYS = ['ports', 'server-pattern', 'worker-patterns', 'instances', 'state-dir', 'metrics-url', 'grpc-port', 'key-metrics', 'thresholds'] as const;
export const THRESHOLD_KEYS = ['settle-seconds', 'generation-gap-seconds', 'metrics-timeout-seconds', 'metrics-max-bytes', 'watch-interval-seconds'] as const;

/**
 * A bad config file or value. `file` is the file as shown in the message (or
 * "command line" for flag overrides); `key` is the offending key path such as
 * `ports[1]` or `thresholds.settle-seconds`, null for file-level problems
 * (syntax errors, unreadable file, missing table). The message is one line.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string | null,
    message: string,
  ) {
    super(oneLine(message));
  }
}

/** How a table's errors are worded: which file, which section, what a nested table is called. */
export interface TableContext {
  /** The file as shown in messages. */
  file: string;
  /** Printed before the key: `[tool.rerun-doctor] ` for pyproject, '' for JSON. */
  section: string;
  /** `a table` (TOML) or `an object` (JSON). */
  tableWord: string;
  /** Directory relative `state-dir` values resolve against; null leaves them as written. */
  baseDir: string | null;
}

export function cloneConfig(c: Readonly<Config>): Config {
  return {
    ports: [...c.ports],
    serverPattern: c.serverPattern,
    workerPatterns: [...c.workerPatterns],
    instances: c.instances,
    stateDir: c.stateDir,
    metricsUrl: c.metricsUrl,
    grpcPort: c.grpcPort,
    keyMetrics: Object.fromEntries(Object.entries(c.keyMetrics).map(([k, v]) => [k, [...(v ?? [])]])),
    thresholds: { ...c.thresholds },
  };
}

/**
 * Validates a file's table and merges it over the defaults. Every key is
 * optional; unknown keys are errors (with a "did you mean" when one is close).
 */
export function configFromTable(table: Record<string, unknown>, ctx: TableContext): Config {
  const config = cloneConfig(DEFAULT_CONFIG);
  for (const key of Object.keys(table)) {
    const value = table[key];
    switch (key) {
      case 'ports':
        config.ports = checkPorts(value, ctx, key);
        break;
      case 'server-pattern':
        config.serverPattern = checkPattern(value, ctx, key);
        break;
      case 'worker-patterns':
        config.workerPatterns = checkPatternList(value, ctx, key);
        break;
      case 'instances':
        config.instances = checkInstances(value, ctx, key);
        break;
      case 'state-dir':
        config.stateDir = checkStateDir(value, ctx, key);
        break;
      case 'metrics-url':
        config.metricsUrl = checkUrl(value, ctx, key);
        break;
      case 'grpc-port':
        config.grpcPort = checkGrpcPort(value, ctx, key);
        break;
      case 'key-metrics':
        config.keyMetrics = checkKeyMetrics(value, ctx, key);
        break;
      case 'thresholds':
        config.thresholds = checkThresholds(value, ctx, key);
        break;
      default:
        unknownKey(key, key, CONFIG_KEYS, ctx);
    }
  }
  return config;
}

/**
 * Flags over a config: a flag that is undefined leaves the value alone (null
 * does override `instances`/`stateDir`). Overriding values are validated like
 * file values; errors name the file "command line". `stateDir` is taken as
 * given: resolve a relative flag against the invocation cwd before passing it.
 * Returns a new object; neither argument is changed.
 */
export function applyOverrides(config: Readonly<Config>, flags: ConfigOverrides): Config {
  const out = cloneConfig(config);
  const ctx: TableContext = { file: 'command line', section: '', tableWord: 'an object', baseDir: null };
  if (flags.ports !== undefined) out.ports = checkPorts(flags.ports, ctx, 'ports');
  if (flags.serverPattern !== undefined) out.serverPattern = checkPattern(flags.serverPattern, ctx, 'server-pattern');
  if (flags.workerPatterns !== undefined) out.workerPatterns = checkPatternList(flags.workerPatterns, ctx, 'worker-patterns');
  if (flags.instances !== undefined) out.instances = checkInstances(flags.instances, ctx, 'instances');
  if (flags.stateDir !== undefined) out.stateDir = checkStateDir(flags.stateDir, ctx, 'state-dir');
  if (flags.metricsUrl !== undefined) out.metricsUrl = checkUrl(flags.metricsUrl, ctx, 'metrics-url');
  if (flags.grpcPort !== undefined) out.grpcPort = checkGrpcPort(flags.grpcPort, ctx, 'grpc-port');
  if (flags.keyMetrics !== undefined) out.keyMetrics = checkKeyMetrics(flags.keyMetrics, ctx, 'key-metrics');
  const t = flags.thresholds;
  if (t !== undefined && t !== null) {
    if (t.settleSeconds !== undefined) {
      out.thresholds.settleSeconds = checkNumber(t.settleSeconds, ctx, 'thresholds.settle-seconds', false);
    }
    if (t.generationGapSeconds !== undefined) {
      out.thresholds.generationGapSeconds = checkNumber(t.generationGapSeconds, ctx, 'thresholds.generation-gap-seconds', true);
    }
    if (t.metricsTimeoutSeconds !== undefined) out.thresholds.metricsTimeoutSeconds = checkNumber(t.metricsTimeoutSeconds, ctx, 'thresholds.metrics-timeout-seconds', true);
    if (t.metricsMaxBytes !== undefined) out.thresholds.metricsMaxBytes = checkBytes(t.metricsMaxBytes, ctx, 'thresholds.metrics-max-bytes');
    if (t.watchIntervalSeconds !== undefined) out.thresholds.watchIntervalSeconds = checkNumber(t.watchIntervalSeconds, ctx, 'thresholds.watch-interval-seconds', true);
  }
  return out;
}

export function compileServerPattern(config: Pick<Config, 'serverPattern'>): RegExp {
  return compile(config.serverPattern, 'server-pattern');
}

export function compileWorkerPatterns(config: Pick<Config, 'workerPatterns'>): RegExp[] {
  return config.workerPatterns.map((p, i) => compile(p, `worker-patterns[${i}]`));
}

function compile(source: string, key: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new ConfigError('config', key, `config: ${quoteKey(key)} is not a valid regular expression: ${regexReason(err)}`);
  }
}

// ---- validators (value: unknown, so files and flags share them) ----

function fail(ctx: TableContext, key: string, what: string): never {
  throw new ConfigError(ctx.file, key, `${ctx.file}: ${ctx.section}${quoteKey(key)} ${what}`);
}

function checkPorts(value: unknown, ctx: TableContext, key: string): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(ctx, key, `must be a non-empty array of integer ports 1-65535, got ${describe(value, ctx)}`);
  }
  const seen = new Map<number, number>();
  const ports: number[] = [];
  value.forEach((p: unknown, i) => {
    const k = `${key}[${i}]`;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
      fail(ctx, k, `must be an integer port 1-65535, got ${describe(p, ctx)}`);
    }
    const first = seen.get(p);
    if (first !== undefined) fail(ctx, k, `must be unique, got ${p} again (already ${key}[${first}])`);
    seen.set(p, i);
    ports.push(p);
  });
  return ports;
}

function checkPattern(value: unknown, ctx: TableContext, key: string): string {
  if (typeof value !== 'string') fail(ctx, key, `must be a string (a JavaScript regular expression), got ${describe(value, ctx)}`);
  if (value === '') fail(ctx, key, 'must not be empty (an empty regular expression matches every process)');
  try {
    new RegExp(value);
  } catch (err) {
    fail(ctx, key, `is not a valid regular expression: ${regexReason(err)}`);
  }
  return value;
}

function checkPatternList(value: unknown, ctx: TableContext, key: string): string[] {
  if (!Array.isArray(value)) {
    fail(ctx, key, `must be an array of strings (JavaScript regular expressions), got ${describe(value, ctx)}`);
  }
  return value.map((p: unknown, i) => checkPattern(p, ctx, `${key}[${i}]`));
}

function checkInstances(value: unknown, ctx: TableContext, key: string): number | null {
  if (value === null) return null; // JSON only: the same as leaving it out
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(ctx, key, `must be an integer >= 0, got ${describe(value, ctx)}`);
  }
  return value;
}

function checkStateDir(value: unknown, ctx: TableContext, key: string): string | null {
  if (value === null) return null; // JSON only: the same as leaving it out
  if (typeof value !== 'string' || value === '') {
    fail(ctx, key, `must be a non-empty string (a directory path), got ${describe(value, ctx)}`);
  }
  if (ctx.baseDir === null || isAbsolute(value)) return value;
  return resolve(ctx.baseDir, value);
}

function checkThresholds(value: unknown, ctx: TableContext, key: string): Thresholds {
  if (!isPlainTable(value)) {
    fail(ctx, key, `must be ${ctx.tableWord} with any of ${THRESHOLD_KEYS.map((k) => `"${k}"`).join(', ')}, got ${describe(value, ctx)}`);
  }
  const t: Thresholds = { ...DEFAULT_CONFIG.thresholds };
  for (const sub of Object.keys(value)) {
    const k = `${key}.${sub}`;
    const v = value[sub];
    if (sub === 'settle-seconds') t.settleSeconds = checkNumber(v, ctx, k, false);
    else if (sub === 'generation-gap-seconds') t.generationGapSeconds = checkNumber(v, ctx, k, true);
    else if (sub === 'metrics-timeout-seconds') t.metricsTimeoutSeconds = checkNumber(v, ctx, k, true);
    else if (sub === 'metrics-max-bytes') t.metricsMaxBytes = checkBytes(v, ctx, k);
    else if (sub === 'watch-interval-seconds') t.watchIntervalSeconds = checkNumber(v, ctx, k, true);
    else unknownKey(sub, k, THRESHOLD_KEYS, ctx);
  }
  return t;
}

function checkNumber(value: unknown, ctx: TableContext, key: string, positive: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (positive ? value > 0 : value >= 0);
  if (!ok) fail(ctx, key, `must be a number ${positive ? '> 0' : '>= 0'} (seconds), got ${describe(value, ctx)}`);
  return value as number;
}

function checkBytes(value: unknown, ctx: TableContext, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1024) fail(ctx, key, `must be an integer number of bytes >= 1024, got ${describe(value, ctx)}`);
  return value;
}

function checkUrl(value: unknown, ctx: TableContext, key: string): string {
  if (typeof value !== 'string') fail(ctx, key, `must be a string (an http:// or https:// URL), got ${describe(value, ctx)}`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    fail(ctx, key, `is not a URL: expected http://HOST:PORT/PATH, got ${describe(value, ctx)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(ctx, key, `must be an http:// or https:// URL, got ${describe(value, ctx)}`);
  return value;
}

function checkGrpcPort(value: unknown, ctx: TableContext, key: string): number | null {
  if (value === null || value === false) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) fail(ctx, key, `must be an integer port 1-65535 (or false for none), got ${describe(value, ctx)}`);
  return value;
}

function checkKeyMetrics(value: unknown, ctx: TableContext, key: string): Partial<Record<KeyMetricName, string[]>> {
  if (!isPlainTable(value)) fail(ctx, key, `must be ${ctx.tableWord} of ${KEY_METRIC_NAMES.map((k) => `"${k}"`).join(', ')} to arrays of regular expressions, got ${describe(value, ctx)}`);
  const out: Partial<Record<KeyMetricName, string[]>> = {};
  for (const sub of Object.keys(value)) {
    const k = `${key}.${sub}`;
    if (!(KEY_METRIC_NAMES as readonly string[]).includes(sub)) unknownKey(sub, k, KEY_METRIC_NAMES, ctx);
    out[sub as KeyMetricName] = checkPatternList(value[sub], ctx, k);
  }
  return out;
}

function unknownKey(name: string, keyPath: string, known: readonly string[], ctx: TableContext): never {
  const near = suggestKey(name, known);
  fail(ctx, keyPath, `is not a known key${near === null ? '' : ` (did you mean "${near}"?)`}; known keys: ${known.join(', ')}`);
}

/**
 * The known key a typo most likely meant: the same key in another spelling
 * (serverPattern, server_pattern), else the nearest within edit distance 2.
 */
export function suggestKey(name: string, known: readonly string[]): string | null {
  const normal = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
  if (known.includes(normal)) return normal;
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = Math.min(editDistance(name, k), editDistance(normal, k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

// ---- formatting ----

export function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function quoteKey(key: string): string {
  return JSON.stringify(key);
}

/** A value as it appears after "got": short JSON-ish text, or what kind of thing it is. */
export function describe(value: unknown, ctx: Pick<TableContext, 'tableWord'>): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}…` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.length <= 40) return text;
  return Array.isArray(value) ? 'an array' : ctx.tableWord;
}

/** "Invalid regular expression: /(/: Unterminated group" → "Unterminated group". */
function regexReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.+)$/s.exec(msg);
  return m?.[1] ?? msg;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
