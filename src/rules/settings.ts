// The config's `rules` table, checked against the rules themselves (ESLint's rule configuration):
// each key a rule id, each value a level (`off`, `info`, `warning`, `error`) or a table with a level
// and the rule's options, validated against the rule's own JSON Schema (meta.schema) by ajv, with
// one line naming the file and the key when something is wrong. File keys are kebab-case like every
// other key (`spike-factor`); the camelCase the rules use (`spikeFactor`) is accepted too.
import type { Ajv as AjvInstance, ErrorObject } from 'ajv';
import { createRequire } from 'node:module';
import { ConfigError, suggestKey } from '../config/config.js';
import type { RuleLevel, Severity } from '../model/diagnosis.js';
import { isRuleId, RULE_IDS, ruleOf, type RuleId } from './index.js';

/** What the config asks of one rule: a level (null: the rule's own) and options over its defaults. */
export interface RuleSetting {
  level: RuleLevel | null;
  options: Record<string, unknown>;
}

export type RuleSettings = Partial<Record<RuleId, RuleSetting>>;

/** The raw table as the config loader keeps it (shape checked there, meaning here). */
export type RawRules = Record<string, { severity?: RuleLevel; options?: Record<string, unknown> }>;

const LEVELS: readonly RuleLevel[] = ['off', 'info', 'warning', 'error'];

const kebab = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const camel = (k: string) => k.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

let ajv: AjvInstance | null = null;
function validator(): AjvInstance {
  // Loaded only when a config sets rule options: most runs never pay for it. ajv is CommonJS.
  if (ajv === null) {
    const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
    ajv = new Ajv({ allErrors: false, strict: true });
  }
  return ajv;
}

/**
 * `file` is the config file as shown in messages, `section` what precedes a key in them
 * (`[tool.rerun-doctor] ` in pyproject.toml, '' in JSON).
 */
export function resolveRuleSettings(raw: RawRules, file: string, section = ''): RuleSettings {
  const out: RuleSettings = {};
  const fail = (key: string, what: string): never => {
    throw new ConfigError(file, key, `${file}: ${section}${JSON.stringify(key)} ${what}`);
  };
  for (const [id, value] of Object.entries(raw)) {
    const key = `rules.${id}`;
    if (!isRuleId(id)) {
      const near = suggestKey(id, RULE_IDS);
      fail(key, `is not a rule${near ? ` (did you mean "${near}"?)` : ''}; the rules are ${RULE_IDS.join(', ')}`);
    }
    const rule = ruleOf(id as RuleId);
    const level = value.severity ?? null;
    if (level !== null && !LEVELS.includes(level)) fail(`${key}.severity`, `must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
    const given = value.options ?? {};
    const options: Record<string, unknown> = {};
    const known = Object.keys(rule.meta.schema.properties);
    for (const [k, v] of Object.entries(given)) {
      const name = camel(k);
      if (!known.includes(name)) {
        const near = suggestKey(kebab(k), known.map(kebab));
        fail(`${key}.options.${k}`, known.length === 0 ? 'is not an option: this rule takes none' : `is not an option of ${id}${near ? ` (did you mean "${near}"?)` : ''}; its options are ${known.map(kebab).join(', ')}`);
      }
      options[name] = v;
    }
    if (Object.keys(options).length > 0) {
      const check = validator().compile(rule.meta.schema);
      if (!check(options)) {
        const e = check.errors![0]!;
        const prop = e.instancePath.replace(/^\//, '');
        fail(`${key}.options.${kebab(prop)}`, `${describeAjvError(e)}, got ${JSON.stringify(options[prop])}`);
      }
    }
    out[id as RuleId] = { level, options };
  }
  return out;
}

/** ajv's "must be >= 1" → "must be a number >= 1" where the schema says what it is. */
function describeAjvError(e: ErrorObject): string {
  if (e.keyword === 'type') return `must be ${e.params.type === 'integer' ? 'an integer' : `a ${String(e.params.type)}`}`;
  return e.message ?? 'is not valid';
}

/** The level a finding of `id` is reported at: the config's, else the one the rule chose. */
export function levelFor(settings: RuleSettings, id: RuleId, own: Severity): Severity {
  const l = settings[id]?.level;
  return l && l !== 'off' ? l : own;
}
