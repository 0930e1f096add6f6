// How an error that reached the top of a command is told to the user, and its exit status: a user's
// mistake in one line, an internal error with its stack. Exported by every bundled command too
// (scripts/bundle.mjs), which must judge its errors with its own copies of the classes.
import { ConfigError } from '../config/errors.js';
import { StateError } from '../state/store.js';
import { Unavailable } from '../host/errors.js';
import { Interrupted } from '../model/errors.js';
import { CannotStart, EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';

export function reportError(e: unknown, command: string, io: Io): number {
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
