// Finding and reading the config file: rerun-doctor.json or the
// [tool.rerun-doctor] table of pyproject.toml, searched from a start directory
// up to the filesystem root. Synchronous: this runs once, at startup.
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { cloneConfig, configFromTable, DEFAULT_CONFIG, type Config } from './config.js';
import { ConfigError, describe, isPlainTable, type TableContext } from './errors.js';

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOENT'
        ? 'config file not found'
        : code === 'EISDIR'
          ? 'is a directory, not a config file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot read config file: permission denied'
            : `cannot read config file: ${err instanceof Error ? err.message : String(err)}`;
    throw new ConfigError(shown, null, `${shown}: ${why}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function fromJson(text: string, file: string, shown: string): Config {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const offset = findJsonErrorOffset(text) ?? offsetFromMessage(raw);
    const where = offset === null ? '' : ` at ${lineColumn(text, offset)}`;
    throw new ConfigError(shown, null, `${shown}: invalid JSON${where}: ${jsonReason(raw)}`);
  }
  const ctx: TableContext = { file: shown, section: '', tableWord: 'an object', baseDir: dirname(file) };
  if (!isPlainTable(doc)) {
    throw new ConfigError(shown, null, `${shown}: must hold a JSON object at the top level, got ${describe(doc, ctx)}`);
  }
  return configFromTable(doc, ctx);
}

/** The [tool.rerun-doctor] table as a Config; null when the file has none and it is not `required`. */
function fromPyproject(text: string, file: string, shown: string, required: boolean): Config | null {
  let doc: Record<string, unknown>;
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

// ---- JSON error positions ----

/** "line L column C" (both 1-based) of a UTF-16 offset into text. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line} column ${column}`;
}

/** V8 says "at position N" for most errors (Node 20), not for "Unexpected token". */
function offsetFromMessage(msg: string): number | null {
  const m = /at position (\d+)/.exec(msg);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** V8's reason without the position and without its copy of the document. */
function jsonReason(msg: string): string {
  return msg
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/^(Unexpected token )'(\s)'/, (_m, p: string, ch: string) => `${p}${JSON.stringify(ch)}`)
    .trim();
}

class JsonSyntax {
  constructor(readonly offset: number) {}
}

/**
 * Offset of the first JSON syntax error in text, or null if there is none (or
 * it is too deep to scan). Used because Node 20's JSON.parse gives no position
 * for "Unexpected token" errors, the commonest kind in hand-written files.
 */
export function findJsonErrorOffset(text: string): number | null {
  let i = 0;
  const bad = (): never => {
    throw new JsonSyntax(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) bad();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) bad();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) bad();
      if (ch === 0x5c) {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) bad();
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
        else bad();
      } else i++;
    }
  };
  const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') bad();
        string();
        ws();
        if (text[i] !== ':') bad();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else bad();
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else bad();
      }
    } else if (ch === '"') string();
    else if (ch === 't') expect('true');
    else if (ch === 'f') expect('false');
    else if (ch === 'n') expect('null');
    else {
      numberRe.lastIndex = i;
      if (!numberRe.test(text)) bad();
      i = numberRe.lastIndex;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) bad();
    return null;
  } catch (err) {
    if (err instanceof JsonSyntax) return err.offset;
    return null; // RangeError from absurd nesting: no position
  }
}
