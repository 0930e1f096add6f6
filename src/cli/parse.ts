// A command's arguments, read against its flag table before util.parseArgs sees them, so that a
// mistake is one line naming the flag and what it takes, never parseArgs' own wording:
//   - a value that starts with one '-' (`--interval -1s`, `-n -3`) is the flag's value, and reaches
//     the command's check of it ("--interval "-1s": expected a positive duration…"); parseArgs
//     alone calls it ambiguous;
//   - a flag with no value (at the end, or before another flag or `--`), a switch given a value
//     (`--json=yes`), an empty value, a value outside the flag's choices;
//   - an unknown option (with the nearest known one), an argument where the command takes none;
//   - for the commands that run a command (check, rerun, run, guard): the command goes after
//     `--`; a word before it is the user's command with the `--` forgotten.
import { parseArgs } from 'node:util';
import { suggestKey } from '../config/suggest.js';
import type { CommandView } from './command-spec.js';
import { UsageError } from './errors.js';
import { colorFlag } from './terminal.js';
import type { FlagSpec, FlagTable, ParseOptions } from './flags.js';

/** What a value of each kind is, for "expected …" (a flag's `value` name, flags.ts). */
const VALUE_KINDS: Record<string, string> = {
  D: 'a duration like 2s or 500ms',
  N: 'a whole number',
  K: 'a whole number',
  P: 'a port 1-65535',
  RE: 'a regular expression',
  PATTERN: 'a regular expression',
  URL: 'an http:// or https:// URL',
  FILE: 'a file name',
  DIR: 'a directory',
  PATH: 'a path',
  CMD: 'a command',
};

/** "int, term or kill". */
export function orList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** What a flag takes, as "expected …" says it. */
export function expectedValue(f: FlagSpec): string {
  if (f.type === 'boolean') return 'no value';
  if (f.choices) return orList(f.choices);
  return VALUE_KINDS[f.value] ?? f.value;
}

/** How the user wrote the flag: `-n` for a one-letter one, else `--name`. */
export function flagName(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** A word as a shell would need it quoted, for a command line we suggest. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

interface Spec<O> {
  readonly name: string;
  readonly allFlags: FlagTable;
  readonly options: O;
  readonly positionals?: CommandView['positionals'];
}

type Parsed<O extends ParseOptions<FlagTable>> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/** The command's arguments as util.parseArgs gives them, or a UsageError naming what is wrong. */
export function parseCommandArgs<O extends ParseOptions<FlagTable>>(spec: Spec<O>, args: readonly string[]): Parsed<O> {
  const flags = spec.allFlags;
  const shorts = new Map(Object.entries(flags).flatMap(([name, f]) => (f.short !== undefined ? [[f.short, name] as const] : [])));
  const cmd = spec.name;
  /** An option, not a value: every `--word` (a value that starts so is written `--flag=--word`), and this command's short ones. */
  const option = (arg: string): boolean => arg.startsWith('--') || (/^-[^-]/.test(arg) && shorts.has(arg[1]!));
  const out: string[] = [];
  const value = (name: string, f: FlagSpec, v: string): void => {
    if (f.type !== 'string') return;
    if (v === '') throw new UsageError(`${flagName(name)} "": expected ${expectedValue(f)}`);
    if (f.choices && !f.choices.includes(v)) throw new UsageError(`${flagName(name)} "${v}": expected ${orList(f.choices)}`);
    out.push(`--${name}=${v}`);
  };
  /** The value after the flag at args[i], or a UsageError when there is none. */
  const next = (i: number, name: string, f: FlagSpec): string => {
    const v = args[i + 1];
    if (v === undefined || v === '--' || option(v)) {
      throw new UsageError(`${flagName(name)} needs a value: expected ${expectedValue(f)}${v === undefined ? '' : `, got the ${v === '--' ? 'end of the options (--)' : `option ${v}`}`}`);
    }
    return v;
  };
  const unknown = (arg: string): never => {
    if (['-v', '-V', '--version'].includes(arg)) throw new UsageError(`${cmd}: unknown option "${arg}": the version is "rerun-doctor --version" (or -v), before any command`);
    const near = arg.startsWith('--') ? suggestKey(arg.slice(2).split('=')[0]!, Object.keys(flags)) : null;
    throw new UsageError(`${cmd}: unknown option "${arg}"${near === null ? '' : ` (did you mean ${flagName(near)}?)`}: see rerun-doctor ${cmd} --help`);
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      const after = args[i + 1];
      if (spec.positionals === undefined && after !== undefined) throw new UsageError(`${cmd}: unexpected argument "${after}": ${cmd} takes no arguments, only options (see rerun-doctor ${cmd} --help)`);
      out.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const f = Object.hasOwn(flags, name) ? flags[name]! : unknown(arg);
      if (f.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`${flagName(name)} takes no value, got "${arg}"`);
        out.push(arg);
      } else if (eq >= 0) value(name, f, arg.slice(eq + 1));
      else value(name, f, next(i++, name, f));
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -h, -y, -n K, -n5, -n=5, and switches grouped (-yh).
      for (let j = 1; j < arg.length; j++) {
        const name = shorts.get(arg[j]!) ?? unknown(j === 1 ? arg : `-${arg[j]!}`);
        const f = flags[name]!;
        if (f.type === 'boolean') {
          if (arg[j + 1] === '=') throw new UsageError(`-${arg[j]!} takes no value, got "${arg}"`);
          out.push(`--${name}`);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, '');
        value(name, f, rest !== '' ? rest : next(i++, name, f));
        break;
      }
      continue;
    }
    // A word.
    if (spec.positionals?.command) {
      const ours = args.slice(0, i).map(shellWord);
      const theirs = args.slice(i).map(shellWord);
      throw new UsageError(`${cmd}: the command to run goes after --, e.g. rerun-doctor ${[cmd, ...ours, '--', ...theirs].join(' ')}`);
    }
    if (spec.positionals === undefined) throw new UsageError(`${cmd}: unexpected argument "${arg}": ${cmd} takes no arguments, only options (see rerun-doctor ${cmd} --help)`);
    out.push(arg);
  }
  const parsed = parseArgs({ args: out, options: spec.options, strict: true, allowPositionals: true }) as Parsed<O>;
  // Before anything is done: the two are one choice (src/cli/terminal.ts).
  colorFlag(parsed.values as { color?: boolean; 'no-color'?: boolean });
  return parsed;
}
