// Typed errors → exit codes, in one place. A user mistake is one line, never a stack trace.
import { commandProblemStatus, describeCommandProblem, findCommand } from '../host/find-command.js';
import { UsageError } from '../model/errors.js';

export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

// The error type lives in the model (the core throws it too); commands import it from here.
export { UsageError } from '../model/errors.js';

/**
 * The command a `run`, `guard`, `check` or `rerun` was given cannot be started (not found, not
 * executable, a directory): one line, "rerun-doctor CMD: cannot start …", and `status` as the exit
 * status: a shell's 127 or 126 for `run` and `guard`, which pass their command's status through;
 * 2 for `check` and `rerun`, for which it is a run that could not be checked.
 */
export class CannotStart extends UsageError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Before anything is started for it: argv[0] as the spawn will find it, or CannotStart. `shell`:
 * exit 127/126 as a shell does; otherwise 2.
 */
export function checkCommand(argv: readonly string[], o: { cwd: string; env: NodeJS.ProcessEnv; shell: boolean }): void {
  const file = argv[0] ?? '';
  const found = findCommand(file, o);
  if (!found.ok) throw new CannotStart(`cannot start ${describeCommandProblem(file, found.problem)}`, o.shell ? commandProblemStatus(found.problem) : EXIT.usage);
}

/** The spawn failed after all (the file changed since checkCommand): the same line, from its errno. */
export function spawnFailure(file: string, e: unknown, o: { shell: boolean }): CannotStart {
  const code = (e as NodeJS.ErrnoException).code;
  const problem = code === 'ENOENT' ? (file.includes('/') ? 'no-such-file' : 'not-found') : code === 'EACCES' ? 'not-executable' : code === 'EISDIR' ? 'directory' : null;
  if (problem === null) return new CannotStart(`cannot start "${file}": ${code ?? (e as Error).message}`, o.shell ? 126 : EXIT.usage);
  return new CannotStart(`cannot start ${describeCommandProblem(file, problem)}`, o.shell ? commandProblemStatus(problem) : EXIT.usage);
}
