// Typed errors → exit codes, in one place. A user mistake is one line, never a stack trace.
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
