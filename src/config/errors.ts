// How a bad config value is reported: one line naming the file, the section and the key path.

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

/** Where flag values are checked: errors name the "command line", not a file. */
export const COMMAND_LINE: TableContext = Object.freeze({ file: 'command line', section: '', tableWord: 'an object', baseDir: null });

export function fail(ctx: TableContext, key: string, what: string): never {
  throw new ConfigError(ctx.file, key, `${ctx.file}: ${ctx.section}${JSON.stringify(key)} ${what}`);
}

export function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
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

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
