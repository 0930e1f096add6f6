// The config model, from the table in schema.ts: defaults, validation of a file's table (JSON
// object or [tool.rerun-doctor]), flag overrides and the compiled process patterns.
// Reading and finding files lives in load.ts; this module touches no fs.
import { regexReason, unknownKey } from './checks.js';
import { COMMAND_LINE, ConfigError, describe, fail, isPlainTable, type TableContext } from './errors.js';
import { CONFIG_SCHEMA, isSection, type Config, type ConfigOverrides, type KeySpec, type SectionSpec, type Spec } from './schema.js';

export { ConfigError, type TableContext } from './errors.js';
export { editDistance, suggestKey } from './suggest.js';
export { KEY_METRIC_NAMES, RULE_SEVERITIES, type KeyMetricName, type RuleSetting, type RuleSeverity } from './checks.js';
export type { Config, ConfigOverrides, Thresholds } from './schema.js';

/** The table's entries, as [Config field, spec], in the order files and docs list them. */
const ENTRIES: ReadonlyArray<readonly [string, Spec]> = Object.entries(CONFIG_SCHEMA);

/** The keys as written in files, in order: what "known keys" lists. */
const FILE_KEYS = ENTRIES.map(([, spec]) => spec.key);

function defaults(): Config {
  const valueOf = (spec: Spec): unknown => (isSection(spec) ? Object.fromEntries(Object.entries(spec.fields).map(([f, k]) => [f, valueOf(k)])) : structuredClone(spec.default));
  return Object.fromEntries(ENTRIES.map(([field, spec]) => [field, valueOf(spec)])) as Config;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_CONFIG: Readonly<Config> = deepFreeze(defaults());

export function cloneConfig(c: Readonly<Config>): Config {
  return structuredClone(c) as Config;
}

/**
 * Validates a file's table and merges it over the defaults. Every key is
 * optional; unknown keys are errors (with a "did you mean" when one is close).
 */
export function configFromTable(table: Record<string, unknown>, ctx: TableContext): Config {
  const config = cloneConfig(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(table)) {
    const entry = ENTRIES.find(([, spec]) => spec.key === name);
    if (entry === undefined) unknownKey(name, name, FILE_KEYS, ctx);
    const [field, spec] = entry;
    config[field] = isSection(spec) ? sectionFromTable(spec, value, ctx, config[field] as Record<string, unknown>) : spec.check(value, ctx, spec.key);
  }
  return config as unknown as Config;
}

function sectionFromTable(spec: SectionSpec, value: unknown, ctx: TableContext, base: Record<string, unknown>): Record<string, unknown> {
  const fields = Object.entries(spec.fields);
  const known = fields.map(([, k]) => k.key);
  if (!isPlainTable(value)) {
    fail(ctx, spec.key, `must be ${ctx.tableWord} with any of ${known.map((k) => `"${k}"`).join(', ')}, got ${describe(value, ctx)}`);
  }
  const out = { ...base };
  for (const [name, v] of Object.entries(value)) {
    const path = `${spec.key}.${name}`;
    const entry = fields.find(([, k]) => k.key === name);
    if (entry === undefined) unknownKey(name, path, known, ctx);
    out[entry[0]] = entry[1].check(v, ctx, path);
  }
  return out;
}

/**
 * Flags over a config: a flag that is undefined leaves the value alone (null
 * does override `instances`/`stateDir`). Overriding values are validated like
 * file values; errors name the file "command line". `stateDir` is taken as
 * given: resolve a relative flag against the invocation cwd before passing it.
 * Returns a new object; neither argument is changed.
 */
export function applyOverrides(config: Readonly<Config>, flags: ConfigOverrides): Config {
  const out = cloneConfig(config) as unknown as Record<string, Record<string, unknown> | unknown>;
  const given = flags as Record<string, unknown>;
  for (const [field, spec] of ENTRIES) {
    const value = given[field];
    if (value === undefined || (value === null && isSection(spec))) continue;
    if (!isSection(spec)) {
      out[field] = spec.check(value, COMMAND_LINE, spec.key);
      continue;
    }
    const section = out[field] as Record<string, unknown>;
    for (const [sub, k] of Object.entries(spec.fields)) {
      const v = (value as Record<string, unknown>)[sub];
      if (v !== undefined) section[sub] = k.check(v, COMMAND_LINE, `${spec.key}.${k.key}`);
    }
  }
  return out as unknown as Config;
}

/**
 * The common flags' values (util.parseArgs `values`, by flag name) as overrides: each flag's
 * `parse` (schema.ts), or its text as is. Flags that are not common are left to their commands.
 */
export function flagOverrides(values: Readonly<Record<string, unknown>>, cwd: string): ConfigOverrides {
  const out: Record<string, unknown> = {};
  const take = (spec: KeySpec, put: (v: unknown) => void) => {
    for (const flag of spec.flags) {
      const raw = values[flag.name];
      if (!flag.common || raw === undefined) continue;
      const texts = (Array.isArray(raw) ? raw : [raw]).map(String);
      put(flag.parse ? flag.parse(texts, cwd) : flag.multiple ? texts : texts[texts.length - 1]);
    }
  };
  for (const [field, spec] of ENTRIES) {
    if (!isSection(spec)) take(spec, (v) => (out[field] = v));
    else for (const [sub, k] of Object.entries(spec.fields)) take(k, (v) => (out[field] = { ...(out[field] as object | undefined), [sub]: v }));
  }
  return out as ConfigOverrides;
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
    throw new ConfigError('config', key, `config: ${JSON.stringify(key)} is not a valid regular expression: ${regexReason(err)}`);
  }
}
