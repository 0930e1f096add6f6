import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { parseArgs } from 'node:util';
// Everything a census command needs, built from flags + config file: host, options, config.
import { applyOverrides, compileServerPattern, compileWorkerPatterns, ConfigError, flagOverrides, type Config } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import type { ClassifyOptions } from '../census/classify.js';
import { createHost, type Host } from '../host/host.js';
import { COMMON_CONFIG_FLAGS } from './config-flags.js';
import { UsageError } from './errors.js';
import type { FlagTable, ParseOptions } from './flags.js';
import type { Io } from './io.js';

export { parsePortList } from '../config/flag-values.js';

/**
 * The flags every census command takes: where the config and the processes are read from, and
 * the config's own common flags (--port, --server-pattern, --worker-pattern, --instances,
 * --state-dir: src/config/schema.ts), which override the file.
 */
export const COMMON_FLAGS = {
  json: { type: 'boolean', help: 'machine-readable output (docs/json.md)' },
  config: { type: 'string', value: 'FILE', help: 'the config file', defaultText: 'rerun-doctor.json or pyproject.toml, from the current directory up' },
  ...COMMON_CONFIG_FLAGS,
  project: { type: 'string', value: 'DIR', help: "the project runs are judged against; other projects' runs are marked as such", defaultText: "the config file's directory, else the current directory" },
  'proc-root': { type: 'string', value: 'DIR', help: "read processes from DIR instead of /proc (a host's /proc in a container)" },
  'sys-root': { type: 'string', value: 'DIR', help: 'read /sys from DIR instead of /sys' },
} as const satisfies FlagTable;

/** The common flags' values, as util.parseArgs gives them to a command that takes them. */
export type CommonValues = ReturnType<typeof parseArgs<{ options: ParseOptions<typeof COMMON_FLAGS>; strict: true }>>['values'];

export interface Context {
  host: Host;
  config: Config;
  configSource: string | null;
  /** The project root: the config file's directory, or the cwd. Keys saved state. */
  root: string;
  classify: ClassifyOptions;
  json: boolean;
}

/**
 * --proc-root and --sys-root name a directory that is there: a missing one is the user's typo,
 * said as such, not a census that "cannot read …/stat". A proc root must hold `stat` (the boot
 * time every process's start time is counted from) and a process directory.
 */
export function checkRoots(values: Pick<CommonValues, 'proc-root' | 'sys-root'>, cwd: string): void {
  for (const flag of ['proc-root', 'sys-root'] as const) {
    const dir = values[flag];
    if (dir === undefined) continue;
    const st = statSync(resolve(cwd, dir), { throwIfNoEntry: false });
    if (st === undefined) throw new UsageError(`--${flag} "${dir}": no such directory`);
    if (!st.isDirectory()) throw new UsageError(`--${flag} "${dir}": not a directory`);
    if (flag !== 'proc-root') continue;
    const abs = resolve(cwd, dir);
    if (!statSync(join(abs, 'stat'), { throwIfNoEntry: false })?.isFile()) throw new UsageError(`--proc-root "${dir}": not a proc filesystem (no ${join(dir, 'stat')})`);
    // A proc filesystem always lists a process (its namespace's pid 1 at least): none is not "no problem found".
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch (e) {
      throw new UsageError(`--proc-root "${dir}": cannot list it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!entries.some((n) => /^\d+$/.test(n))) throw new UsageError(`--proc-root "${dir}": not a proc filesystem (no process directories in it)`);
  }
}

/**
 * The common flags over the config file's values. A value the config's check refuses is said
 * as the flag's, not as the key's ("--server-pattern "((" is not a valid regular expression").
 */
function withFlags(fileConfig: Config, values: CommonValues, cwd: string): Config {
  try {
    return applyOverrides(fileConfig, flagOverrides(values, cwd));
  } catch (e) {
    if (!(e instanceof ConfigError) || e.file !== 'command line' || e.key === null) throw e;
    const key = e.key;
    const entry = Object.entries(COMMON_CONFIG_FLAGS).find(([, f]) => f.overrides === key.replace(/\[\d+\]$/, ''));
    if (entry === undefined) throw e;
    const [name] = entry;
    const raw = (values as Record<string, unknown>)[name];
    const at = /\[(\d+)\]$/.exec(key);
    const given = Array.isArray(raw) ? (at ? raw[Number(at[1])] : raw.join(',')) : raw;
    const prefix = `command line: ${JSON.stringify(key)} `;
    const what = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    throw new UsageError(`--${name}${typeof given === 'string' ? ` "${given}"` : ''} ${what}`);
  }
}

export function makeContext(values: CommonValues, io: Io, extraPorts: number[] = []): Context {
  checkRoots(values, io.cwd);
  if (values.config !== undefined) {
    // The flag named in the message: an unreadable or broken file is said by the loader, naming the file.
    const st = statSync(resolve(io.cwd, values.config), { throwIfNoEntry: false });
    if (st === undefined) throw new UsageError(`--config "${values.config}": no such file`);
    if (st.isDirectory()) throw new UsageError(`--config "${values.config}": is a directory, not a config file`);
  }
  const loaded = loadConfig({ cwd: io.cwd, explicitPath: values.config ?? null });
  const { config: fileConfig, source } = loaded;
  // The project runs are judged against (docs/attribution.md, "Project scope"): --project, else
  // the config file's directory, else the cwd. It need not exist here (a replayed snapshot's).
  const root = values.project !== undefined ? resolve(io.cwd, values.project) : loaded.root;
  const config = withFlags(fileConfig, values, io.cwd);
  // Both were checked as they were read: compiling them cannot fail now.
  const serverPattern = compileServerPattern(config);
  const workerPatterns = compileWorkerPatterns(config);
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
