// The config's `rules` table, checked against the rules (src/rules/settings.ts), for the commands
// that diagnose. Errors name the config file as every config error does.
import { basename } from 'node:path';
import { displayPath } from '../config/load.js';
import { resolveRuleSettings, type RawRules, type RuleSettings } from '../rules/settings.js';
import type { Context } from './context.js';
import type { Io } from './io.js';

export function ruleSettingsOf(ctx: Context, io: Io): RuleSettings {
  const raw: RawRules = ctx.config.rules;
  if (Object.keys(raw).length === 0) return {};
  const file = ctx.configSource ? displayPath(io.cwd, ctx.configSource) : 'config';
  const section = ctx.configSource && basename(ctx.configSource) === 'pyproject.toml' ? '[tool.rerun-doctor] ' : '';
  return resolveRuleSettings(raw, file, section);
}
