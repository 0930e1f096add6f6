// Typed errors → exit codes, in one place. A user mistake is one line, never a stack trace.
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

// The error type lives in the model (the core throws it too); commands import it from here.
export { UsageError } from '../model/errors.js';
