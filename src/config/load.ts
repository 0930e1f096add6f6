// Finding and reading the config file: rerun-doctor.json or the
// [tool.rerun-doctor] table of pyproject.toml, searched from a start directory
// up to the filesystem root. Synchronous: this runs once, at startup.
import { statSync } from 'node:fs';
import { FileProblem, readRegularFile } from '../host/files.js';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';

// Loaded when a pyproject.toml is read, not by every command (start-up time, issue 12).
const toml = (): typeof import('smol-toml') => createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');
import { cloneConfig, configFromTable, DEFAULT_CONFIG, type Config } from './config.js';
import { ConfigError, describe, isPlainTable, type TableContext } from './errors.js';
import { parseJson } from './json.js';

export const JSON_CONFIG_NAME = 'rerun-doctor.json';
export const PYPROJECT_NAME = 'pyproject.toml';
/** The key under [tool] in pyproject.toml. */
export const TOOL_KEY = 'rerun-doctor';

export interface LoadConfigOptions {
  /** Where the search starts; relative paths in messages are relative to it. */
  cwd: string;
  /** `--config FILE`: skips the search. `pyproject.toml` → its tool table, any other name → JSON. */
  explicitPath?: string | null;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file used, or null when none was found (defaults). */
  source: string | null;
  /** The directory holding `source`, or cwd when none: the project root saved state is keyed by. */
  root: string;
}

export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const cwd = resolve(opts.cwd);

  if (opts.explicitPath !== undefined && opts.explicitPath !== null) {
    const file = resolve(cwd, opts.explicitPath);
    const shown = displayPath(cwd, file);
    const text = readText(file, shown);
    const config =
      basename(file) === PYPROJECT_NAME ? fromPyproject(text, file, shown, true) : fromJson(text, file, shown);
    if (config === null) throw new Error('unreachable: a required tool table was missing without an error');
    return { config, source: file, root: dirname(file) };
  }

  for (let dir = cwd; ; ) {
    const jsonFile = join(dir, JSON_CONFIG_NAME);
    if (isFile(jsonFile)) {
      const shown = displayPath(cwd, jsonFile);
      return { config: fromJson(readText(jsonFile, shown), jsonFile, shown), source: jsonFile, root: dir };
    }
    const pyFile = join(dir, PYPROJECT_NAME);
    if (isFile(pyFile)) {
      const shown = displayPath(cwd, pyFile);
      const text = readText(pyFile, shown);
      // A pyproject that never mentions us cannot hold our table: skip it
      // unparsed, so an unrelated (or broken) one further up costs nothing.
      const config = text.includes(TOOL_KEY) ? fromPyproject(text, pyFile, shown, false) : null;
      if (config !== null) return { config, source: pyFile, root: dir };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { config: cloneConfig(DEFAULT_CONFIG), source: null, root: cwd };
}

/** The path relative to the start directory when that is shorter, else absolute. */
export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && rel.length < file.length ? rel : file;
}

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function readText(file: string, shown: string): string {
  let text: string | null;
  try {
    // Never blocks: a FIFO or a device given as --config is refused, not read (src/host/files.ts).
    text = readRegularFile(file);
  } catch (err) {
    if (!(err instanceof FileProblem)) throw err;
    const why =
      err.code === 'EISDIR' || /is a directory/.test(err.problem)
        ? 'is a directory, not a config file'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'cannot read config file: permission denied'
          : err.code === 'ENOTREG'
            ? `${err.problem.replace(/not a regular file$/, 'not a config file')}`
            : `cannot read config file: ${err.problem}`;
    throw new ConfigError(shown, null, `${shown}: ${why}`);
  }
  if (text === null) throw new ConfigError(shown, null, `${shown}: config file not found`);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function fromJson(text: string, file: string, shown: string): Config {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column, reason } = parsed.error;
    throw new ConfigError(shown, null, `${shown}: invalid JSON${line === null ? '' : ` at line ${line} column ${column}`}: ${reason}`);
  }
  const doc = parsed.value;
  const ctx: TableContext = { file: shown, section: '', tableWord: 'an object', baseDir: dirname(file) };
  if (!isPlainTable(doc)) {
    throw new ConfigError(shown, null, `${shown}: must hold a JSON object at the top level, got ${describe(doc, ctx)}`);
  }
  return configFromTable(doc, ctx);
}

/** The [tool.rerun-doctor] table as a Config; null when the file has none and it is not `required`. */
function fromPyproject(text: string, file: string, shown: string, required: boolean): Config | null {
  let doc: Record<string, unknown>;
  const { parse: parseToml, TomlError } = toml();
  try {
    doc = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? '';
      throw new ConfigError(shown, null, `${shown}: invalid TOML at line ${err.line} column ${err.column}: ${reason}`);
    }
    throw new ConfigError(shown, null, `${shown}: invalid TOML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ctx: TableContext = { file: shown, section: `[tool.${TOOL_KEY}] `, tableWord: 'a table', baseDir: dirname(file) };
  const tool = doc['tool'];
  const table = isPlainTable(tool) && Object.hasOwn(tool, TOOL_KEY) ? tool[TOOL_KEY] : undefined;
  if (table === undefined) {
    if (!required) return null;
    throw new ConfigError(shown, null, `${shown}: has no [tool.${TOOL_KEY}] table`);
  }
  if (!isPlainTable(table)) {
    throw new ConfigError(shown, `tool.${TOOL_KEY}`, `${shown}: "tool.${TOOL_KEY}" must be a table, got ${describe(table, ctx)}`);
  }
  return configFromTable(table, ctx);
}
