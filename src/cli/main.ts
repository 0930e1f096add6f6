// The CLI's one way in: pick a command, run it, map errors to exit codes. Only bin.ts exits.
import { ConfigError } from '../config/config.js';
import { StateError } from '../state/store.js';
import { Unavailable } from '../host/errors.js';
import { Interrupted } from '../model/errors.js';
import { version } from '../version.js';
import { CannotStart, EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';
import { COMMAND_NAMES, COMMANDS, isCommand, usage } from './registry.js';

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
  try {
    const mod = await COMMANDS[first].load();
    return await mod.run(rest, io);
  } catch (e) {
    return reportError(e, first, io);
  }
}

function reportError(e: unknown, command: string, io: Io): number {
  const err = e as Error & { code?: string };
  // Stopped by the user after cleaning up what it started: 128 + SIGINT, as a shell reports it.
  if (e instanceof Interrupted) {
    io.stderr(`rerun-doctor ${command}: ${err.message}\n`);
    return 130;
  }
  if (e instanceof CannotStart) {
    io.stderr(`rerun-doctor ${command}: ${err.message}\n`);
    return e.status;
  }
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof StateError || e instanceof Unavailable) {
    io.stderr(`rerun-doctor: ${err.message}\n`);
    return EXIT.usage;
  }
  // util.parseArgs errors: unknown or malformed flags (parse.ts says them first, in its own words).
  if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr(`rerun-doctor ${command}: ${err.message.split('\n')[0]} (see rerun-doctor ${command} --help)\n`);
    return EXIT.usage;
  }
  io.stderr(`rerun-doctor: internal error: ${err.stack ?? String(e)}\nPlease report it with the command you ran.\n`);
  return EXIT.usage;
}
