// A command's flags, declared once in a table: the util.parseArgs options, the help's Options
// lines and the shell completion (src/cli/completion/) all come from it.

/** A flag that takes no value. */
export interface SwitchFlag {
  readonly type: 'boolean';
  readonly short?: string;
  /** One line for --help. */
  readonly help: string;
  /** The config key it overrides (configFlag sets it), for docs/config.md. */
  readonly overrides?: string;
}

/** A flag that takes a value. */
export interface ValueFlag {
  readonly type: 'string';
  /**
   * The value's name in help: D (a duration: 500ms, 2s, 5m), N, P (a port), RE, URL, FILE, DIR…
   * Completion offers paths for FILE… and PATH values, directories for DIR.
   */
  readonly value: string;
  /** May be given more than once: util.parseArgs collects every value. */
  readonly multiple?: boolean;
  readonly short?: string;
  /** The only values it takes: help shows them in place of the value's name; completion offers them. */
  readonly choices?: readonly string[];
  readonly help: string;
  /** What applies without the flag, as help shows it: "(default: …)". */
  readonly defaultText?: string;
  /** The config key it overrides (configFlag sets it), for docs/config.md. */
  readonly overrides?: string;
}

export type FlagSpec = SwitchFlag | ValueFlag;
export type FlagTable = { readonly [name: string]: FlagSpec };

type DocOnly = 'help' | 'value' | 'choices' | 'defaultText' | 'overrides';

/** The table as util.parseArgs options, typed so that `values` is typed flag by flag. */
export type ParseOptions<T extends FlagTable> = { -readonly [K in keyof T]: Omit<T[K], DocOnly> };

export function parseOptions<T extends FlagTable>(flags: T): ParseOptions<T> {
  return Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.type === 'string' && f.multiple === true ? { multiple: true } : {}), ...(f.short === undefined ? {} : { short: f.short }) }]),
  ) as ParseOptions<T>;
}

/** How help writes the flag: `--stop int|term|kill`, `-y, --yes`, `-n K`. */
export function flagUsage(name: string, f: FlagSpec): string {
  const long = name.length === 1 ? `-${name}` : `--${name}`;
  const names = f.short !== undefined && name.length > 1 ? `-${f.short}, ${long}` : long;
  if (f.type === 'boolean') return names;
  return `${names} ${f.choices ? f.choices.join('|') : f.value}`;
}

export function flagHelp(f: FlagSpec): string {
  return f.type === 'string' && f.defaultText !== undefined ? `${f.help} (default: ${f.defaultText})` : f.help;
}

/** Where the help text starts, as the hand-written help had it; a longer flag puts it on the next line. */
const HELP_COLUMN = 25;
const WIDTH = 100;

/** The Options lines of a help text: each flag and its help, wrapped to 100 columns. */
export function renderFlags(flags: FlagTable): string {
  const out: string[] = [];
  for (const [name, f] of Object.entries(flags)) {
    const usage = `  ${flagUsage(name, f)}`;
    const lines = wrap(flagHelp(f), WIDTH - HELP_COLUMN);
    const indent = ' '.repeat(HELP_COLUMN);
    if (usage.length <= HELP_COLUMN - 2) out.push(`${usage.padEnd(HELP_COLUMN)}${lines[0] ?? ''}`, ...lines.slice(1).map((l) => indent + l));
    else out.push(usage, ...lines.map((l) => indent + l));
  }
  return out.join('\n');
}

/** Text in lines of at most `width` characters, broken at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
