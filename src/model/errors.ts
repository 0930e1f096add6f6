// Errors that are the user's to fix (a bad flag value, a file that cannot be written, a census that
// cannot be taken): one line, exit status 2, never a stack trace. Thrown anywhere in the core; the
// CLI maps them to exit codes in one place (src/cli/main.ts).
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The user stopped a command (Ctrl-C, SIGTERM) and it cleaned up after itself: exit status 130. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}
