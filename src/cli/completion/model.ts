// What a shell completes, from the command and flag tables: the commands, each command's flags
// (and the values of those that take one of a few, or a path), and its first positional's words.
// The scripts for bash, zsh and fish are written from this, and only from this.
import type { CommandView } from '../command-spec.js';
import type { FlagSpec } from '../flags.js';
import { COMMAND_NAMES, COMMANDS } from '../registry.js';

export interface FlagWords {
  /** `--format`, then `-f` where it has a short form; `-n` alone for a one-letter flag. */
  readonly names: readonly string[];
  /** null for a switch. */
  readonly value: null | { readonly name: string; readonly choices: readonly string[] | null; readonly paths: 'file' | 'dir' | null };
  /** May be given more than once. */
  readonly repeatable: boolean;
  readonly help: string;
}

export interface CommandWords {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagWords[];
  /** What the first positional may be (count before|after|history); [] for anything or nothing. */
  readonly choices: readonly string[];
  /** After `--` comes a command of its own. */
  readonly command: boolean;
}

export interface CompletionModel {
  readonly program: string;
  readonly commands: readonly CommandWords[];
  /** The command run when the first word is an option (main.ts: diagnose). */
  readonly implied: string;
  /** What the program takes in place of a command, beyond the implied command's flags (--help among them). */
  readonly topFlags: readonly FlagWords[];
}

export function flagWords(name: string, f: FlagSpec): FlagWords {
  const names = name.length === 1 ? [`-${name}`] : [`--${name}`, ...(f.short === undefined ? [] : [`-${f.short}`])];
  if (f.type === 'boolean') return { names, value: null, repeatable: false, help: f.help };
  // FILE… and PATH values are paths, DIR a directory (flags.ts, ValueFlag.value).
  const paths = /^(FILE|PATH)/.test(f.value) ? 'file' : f.value === 'DIR' ? 'dir' : null;
  return { names, value: { name: f.value, choices: f.choices ?? null, paths }, repeatable: f.multiple === true, help: f.help };
}

export function completionModel(commands: ReadonlyArray<{ summary: string; spec: CommandView }>): CompletionModel {
  return {
    program: 'rerun-doctor',
    implied: 'diagnose',
    topFlags: [flagWords('version', { type: 'boolean', short: 'V', help: 'print the version' })],
    commands: commands.map(({ summary, spec }) => ({
      name: spec.name,
      summary,
      flags: Object.entries(spec.allFlags).map(([name, f]) => flagWords(name, f)),
      choices: spec.positionals?.choices ?? [],
      command: spec.positionals?.command === true,
    })),
  };
}

/** Every command's spec, loaded: completion is the one place that needs them all. */
export async function loadCompletionModel(): Promise<CompletionModel> {
  return completionModel(await Promise.all(COMMAND_NAMES.map(async (n) => ({ summary: COMMANDS[n].summary, spec: (await COMMANDS[n].load()).spec }))));
}
