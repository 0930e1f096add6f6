// The flags of the config table (src/config/schema.ts) as the CLI's flag specs: the common ones,
// which every census command takes, and the others, which a command takes by name.
import { CONFIG_SCHEMA, isSection, type ConfigFlag, type KeySpec, type SchemaFlag, type Spec } from '../config/schema.js';
import type { FlagSpec } from './flags.js';

type CliFlagOf<G> = G extends { readonly value: string }
  ? { readonly type: 'string'; readonly value: string; readonly multiple: G extends { readonly multiple: true } ? true : false; readonly help: string; readonly defaultText?: string; readonly overrides: string }
  : { readonly type: 'boolean'; readonly help: string; readonly overrides: string };

type CommonName = Extract<SchemaFlag, { readonly common: true }>['name'];
type CommandName = Exclude<SchemaFlag['name'], CommonName>;

interface Found {
  /** The key's path in files: `thresholds.settle-seconds`. */
  path: string;
  key: KeySpec;
  flag: ConfigFlag<unknown>;
}

const FOUND: readonly Found[] = (Object.entries(CONFIG_SCHEMA) as Array<[string, Spec]>).flatMap(([, spec]) =>
  isSection(spec)
    ? Object.values(spec.fields).flatMap((k) => k.flags.map((flag) => ({ path: `${spec.key}.${k.key}`, key: k, flag })))
    : spec.flags.map((flag) => ({ path: spec.key, key: spec, flag })),
);

/** The default of a flag that overrides a key: the key in the config file, else the key's default. */
function toSpec({ path, key, flag }: Found, help = flag.help): FlagSpec {
  if (flag.value === undefined) return { type: 'boolean', help, overrides: path };
  const fallback = flag.defaultText ?? defaultText(key.default);
  return {
    type: 'string',
    value: flag.value,
    ...(flag.multiple === true ? { multiple: true } : {}),
    help,
    defaultText: `"${path}" in the config${fallback === null ? '' : `, else ${fallback}`}`,
    overrides: path,
  };
}

function defaultText(value: unknown): string | null {
  if (value === null || (typeof value === 'object' && Object.keys(value).length === 0)) return null;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The common flags (port, server-pattern, worker-pattern, instances, state-dir), in the table's order. */
export const COMMON_CONFIG_FLAGS = Object.fromEntries(FOUND.filter((f) => f.flag.common === true).map((f) => [f.flag.name, toSpec(f)])) as {
  readonly [G in Extract<SchemaFlag, { readonly common: true }> as G['name']]: CliFlagOf<G>;
};

/**
 * A flag of the config table that only some commands take (--timeout, --interval, --settle…),
 * for a command's flag table; `help` rewords it for that command. The command applies it.
 */
export function configFlag<N extends CommandName>(name: N, help?: string): CliFlagOf<Extract<SchemaFlag, { readonly name: N }>> {
  const found = FOUND.find((f) => f.flag.name === name);
  if (found === undefined) throw new Error(`no flag --${name} in the config table`);
  return toSpec(found, help) as CliFlagOf<Extract<SchemaFlag, { readonly name: N }>>;
}
