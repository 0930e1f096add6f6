// A command as the CLI knows it before running it: its flags (a table), its positionals, and the
// prose of its help. The util.parseArgs options, the help text and the shell completion come
// from it; the Usage lines, the paragraph explaining the command and its exit status stay
// hand-written.
import { COMMON_FLAGS } from './context.js';
import { parseOptions, renderFlags, type FlagTable, type ParseOptions } from './flags.js';

export const HELP_FLAG = { help: { type: 'boolean', short: 'h', help: 'print this help' } } as const satisfies FlagTable;

/** A real invocation and what it does, for the help's Examples. */
export interface Example {
  readonly run: string;
  readonly does: string;
}

/** The words a command takes besides its options; a command without `positionals` takes none. */
export interface Positionals {
  /** The words' name in usage (PORT, URL), where they are free words rather than choices. */
  readonly value?: string;
  /** The words the first positional may be (count's before, after, history), for completion. */
  readonly choices?: readonly string[];
  /** After `--` comes a command of its own (check, rerun, run, guard). */
  readonly command?: boolean;
}

export interface CommandInput<F extends FlagTable, C extends boolean> {
  readonly name: string;
  /** The usage lines, without "Usage: ". */
  readonly usage: readonly string[];
  /** What the command does: the paragraphs between Usage and Options. */
  readonly about: string;
  /** Its own flags, in the order help lists them. */
  readonly flags: F;
  /** Whether it takes the common flags (COMMON_FLAGS: the config, the watched ports and patterns, /proc, --json). */
  readonly common: C;
  readonly positionals?: Positionals;
  readonly examples: readonly Example[];
  /** "Exit status: …", and any closing note. */
  readonly exit: string;
}

/** What the registry, `help` and completion read of any command. */
export interface CommandView extends CommandInput<FlagTable, boolean> {
  /** Every flag it takes: its own, the common ones if it takes them, --help. */
  readonly allFlags: FlagTable;
  /** allFlags for util.parseArgs. */
  readonly options: ParseOptions<FlagTable>;
  readonly help: string;
}

type AllFlags<F extends FlagTable, C extends boolean> = (C extends true ? typeof COMMON_FLAGS : unknown) & F & typeof HELP_FLAG;

export interface CommandSpec<F extends FlagTable, C extends boolean> extends CommandView {
  /** For util.parseArgs: `values` comes out typed flag by flag. */
  readonly options: ParseOptions<AllFlags<F, C>>;
}

export function defineCommand<const F extends FlagTable, const C extends boolean>(input: CommandInput<F, C>): CommandSpec<F, C> {
  const allFlags = { ...(input.common ? COMMON_FLAGS : {}), ...input.flags, ...HELP_FLAG } as AllFlags<F, C>;
  // The help text is made when asked for (a getter): every command's module defines its spec at
  // load, and laying out the flags and prose of one it does not print cost a few ms of each start.
  let help: string | null = null;
  return {
    ...input,
    allFlags,
    options: parseOptions(allFlags),
    get help() {
      return (help ??= renderHelp(input));
    },
  };
}

function renderHelp(c: CommandInput<FlagTable, boolean>): string {
  const [first = '', ...more] = c.usage;
  const parts = [
    [`Usage: rerun-doctor ${first}`, ...more.map((u) => `       rerun-doctor ${u}`)].join('\n'),
    c.about.trim(),
    `Options:\n${renderFlags({ ...c.flags, ...HELP_FLAG })}`,
  ];
  if (c.common) parts.push(`Common options (every census command):\n${renderFlags(COMMON_FLAGS)}`);
  parts.push(`Examples:\n${c.examples.map((e) => `  ${e.run}\n      ${e.does}`).join('\n')}`, c.exit.trim());
  return `${parts.join('\n\n')}\n`;
}
