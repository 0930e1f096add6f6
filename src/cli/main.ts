// The CLI's one way in: pick a command, run it, map errors to exit codes. Only bin.ts exits.
import { version } from '../version.js';
import { EXIT } from './errors.js';
import type { Io } from './io.js';
import { COMMAND_NAMES, COMMANDS, isCommand, usage, type CommandModule } from './registry.js';
import { reportError } from './report-error.js';

/** The top-level switches: help and the version (-v as most tools take it, -V as some do). */
const HELP = ['--help', '-h'];
const VERSION = ['--version', '-v', '-V'];

export async function main(argv: string[], io: Io): Promise<number> {
  // No command, or options only: diagnose (the tool's main job).
  if (argv.length === 0 || (argv[0]!.startsWith('-') && ![...HELP, ...VERSION].includes(argv[0]!))) argv = ['diagnose', ...argv];
  const [first, ...rest] = argv;
  // `--help clean` is `help clean`.
  if (first !== undefined && HELP.includes(first) && rest.length > 0) return main(['help', ...rest], io);
  if (first === undefined || HELP.includes(first)) {
    io.stdout(usage());
    return EXIT.ok;
  }
  if (VERSION.includes(first)) {
    if (rest.length > 0) {
      io.stderr(`rerun-doctor: unexpected argument "${rest[0]}": ${first} takes none (rerun-doctor ${first} prints the version)\n`);
      return EXIT.usage;
    }
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  if (!isCommand(first)) {
    io.stderr(`rerun-doctor: unknown command "${first}": expected one of ${COMMAND_NAMES.join(', ')} (see rerun-doctor --help)\n`);
    return EXIT.usage;
  }
  let mod: CommandModule | undefined;
  try {
    mod = await COMMANDS[first].load();
    return await mod.run(rest, io);
  } catch (e) {
    // A bundled command (scripts/bundle.mjs) brings its own copies of the error classes, and its own
    // reportError that knows them.
    return (mod?.reportError ?? reportError)(e, first, io);
  }
}
