// The value checks of the config table (schema.ts). Each takes the value as found (unknown: a
// file's value and a flag's parsed value go through the same check), the context that words its
// errors, and the key path; it returns the value as the Config holds it, or fails with one line.
import { isAbsolute, resolve } from 'node:path';
import { describe, fail, isPlainTable, type TableContext } from './errors.js';
import { suggestKey } from './suggest.js';

export type Check<T> = (value: unknown, ctx: TableContext, key: string) => T;

/** The metrics the diagnosis needs, recognised by name (src/metrics/key-metrics.ts KEY_METRICS). */
export const KEY_METRIC_NAMES = ['tokenize', 'request-latency', 'queue-depth', 'worker-count', 'gpu-memory'] as const;
export type KeyMetricName = (typeof KEY_METRIC_NAMES)[number];

/** A rule's severity as the config sets it; "off" turns the rule off. */
export const RULE_SEVERITIES = ['off', 'info', 'warning', 'error'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];
/** What the config says about one rule. Its options are checked against the rule's own schema in src/rules/. */
export interface RuleSetting {
  severity?: RuleSeverity;
  options?: Record<string, unknown>;
}
const RULE_SETTING_KEYS = ['severity', 'options'] as const;

export function unknownKey(name: string, keyPath: string, known: readonly string[], ctx: TableContext): never {
  const near = suggestKey(name, known);
  fail(ctx, keyPath, `is not a known key${near === null ? '' : ` (did you mean "${near}"?)`}; known keys: ${known.join(', ')}`);
}

export const checkPorts: Check<number[]> = (value, ctx, key) => {
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
};

export const checkPattern: Check<string> = (value, ctx, key) => {
  if (typeof value !== 'string') fail(ctx, key, `must be a string (a JavaScript regular expression), got ${describe(value, ctx)}`);
  if (value === '') fail(ctx, key, 'must not be empty (an empty regular expression matches every process)');
  try {
    new RegExp(value);
  } catch (err) {
    fail(ctx, key, `is not a valid regular expression: ${regexReason(err)}`);
  }
  return value;
};

export const checkPatternList: Check<string[]> = (value, ctx, key) => {
  if (!Array.isArray(value)) {
    fail(ctx, key, `must be an array of strings (JavaScript regular expressions), got ${describe(value, ctx)}`);
  }
  return value.map((p: unknown, i) => checkPattern(p, ctx, `${key}[${i}]`));
};

export const checkInstances: Check<number | null> = (value, ctx, key) => {
  if (value === null) return null; // JSON only: the same as leaving it out
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(ctx, key, `must be an integer >= 0, got ${describe(value, ctx)}`);
  }
  return value;
};

export const checkStateDir: Check<string | null> = (value, ctx, key) => {
  if (value === null) return null; // JSON only: the same as leaving it out
  if (typeof value !== 'string' || value === '') {
    fail(ctx, key, `must be a non-empty string (a directory path), got ${describe(value, ctx)}`);
  }
  if (ctx.baseDir === null || isAbsolute(value)) return value;
  return resolve(ctx.baseDir, value);
};

/** The longest duration a config key takes, as the flags' (src/cli/duration.ts): 24 days. */
export const MAX_SECONDS = 24 * 24 * 3600;

/** Seconds: > 0, or >= 0 where zero means "do not wait". */
export function seconds(opts: { zero: boolean }): Check<number> {
  return (value, ctx, key) => {
    const ok = typeof value === 'number' && Number.isFinite(value) && (opts.zero ? value >= 0 : value > 0);
    if (!ok) fail(ctx, key, `must be a number ${opts.zero ? '>= 0' : '> 0'} (seconds), got ${describe(value, ctx)}`);
    // Node's timers hold at most 2^31-1 ms and fire at once beyond it: the flags' limit (24 days).
    if ((value as number) > MAX_SECONDS) fail(ctx, key, `must be at most ${MAX_SECONDS} seconds (24 days), got ${describe(value, ctx)}`);
    return value as number;
  };
}

export const checkBytes: Check<number> = (value, ctx, key) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1024) fail(ctx, key, `must be an integer number of bytes >= 1024, got ${describe(value, ctx)}`);
  return value;
};

/** A count of series: an integer from 1 to 10,000,000 (more would only hide that the limit is off). */
export const checkSeriesLimit: Check<number> = (value, ctx, key) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 10_000_000) fail(ctx, key, `must be an integer from 1 to 10000000 (series per scrape), got ${describe(value, ctx)}`);
  return value;
};

export const checkUrl: Check<string> = (value, ctx, key) => {
  if (typeof value !== 'string') fail(ctx, key, `must be a string (an http:// or https:// URL), got ${describe(value, ctx)}`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    fail(ctx, key, `is not a URL: expected http://HOST:PORT/PATH, got ${describe(value, ctx)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(ctx, key, `must be an http:// or https:// URL, got ${describe(value, ctx)}`);
  return value;
};

export const checkGrpcPort: Check<number | null> = (value, ctx, key) => {
  if (value === null || value === false) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) fail(ctx, key, `must be an integer port 1-65535 (or false for none), got ${describe(value, ctx)}`);
  return value;
};

export const checkKeyMetrics: Check<Partial<Record<KeyMetricName, string[]>>> = (value, ctx, key) => {
  if (!isPlainTable(value)) fail(ctx, key, `must be ${ctx.tableWord} of ${KEY_METRIC_NAMES.map((k) => `"${k}"`).join(', ')} to arrays of regular expressions, got ${describe(value, ctx)}`);
  const out: Partial<Record<KeyMetricName, string[]>> = {};
  for (const sub of Object.keys(value)) {
    const k = `${key}.${sub}`;
    if (!(KEY_METRIC_NAMES as readonly string[]).includes(sub)) unknownKey(sub, k, KEY_METRIC_NAMES, ctx);
    out[sub as KeyMetricName] = checkPatternList(value[sub], ctx, k);
  }
  return out;
};

/**
 * Only the shape: rule id → a severity, or a table of `severity` and `options`. Whether the id
 * names a rule, and whether its options fit, is for the rule's own schema (src/rules/).
 */
export const checkRules: Check<Record<string, RuleSetting>> = (value, ctx, key) => {
  const severities = RULE_SEVERITIES.map((s) => `"${s}"`).join(', ');
  const either = `a severity (${severities}) or ${ctx.tableWord} with "severity" and "options"`;
  if (!isPlainTable(value)) fail(ctx, key, `must be ${ctx.tableWord} of rule ids to ${either}, got ${describe(value, ctx)}`);
  const severity = (v: unknown, k: string): RuleSeverity => {
    if (typeof v !== 'string' || !(RULE_SEVERITIES as readonly string[]).includes(v)) fail(ctx, k, `must be one of ${severities}, got ${describe(v, ctx)}`);
    return v as RuleSeverity;
  };
  // fromEntries, not assignment: a rule id "__proto__" stays a key, as JSON.parse keeps it.
  return Object.fromEntries(
    Object.entries(value).map(([id, v]): [string, RuleSetting] => {
      const k = `${key}.${id}`;
      if (typeof v === 'string') return [id, { severity: severity(v, k) }];
      if (!isPlainTable(v)) fail(ctx, k, `must be ${either}, got ${describe(v, ctx)}`);
      const setting: RuleSetting = {};
      for (const [sub, s] of Object.entries(v)) {
        if (sub === 'severity') setting.severity = severity(s, `${k}.severity`);
        else if (sub === 'options') {
          if (!isPlainTable(s)) fail(ctx, `${k}.options`, `must be ${ctx.tableWord} (the rule's options: docs/rules/${id}.md), got ${describe(s, ctx)}`);
          setting.options = { ...s };
        } else unknownKey(sub, `${k}.${sub}`, RULE_SETTING_KEYS, ctx);
      }
      return [id, setting];
    }),
  );
};

/** "Invalid regular expression: /(/: Unterminated group" → "Unterminated group". */
export function regexReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.+)$/s.exec(msg);
  return m?.[1] ?? msg;
}
