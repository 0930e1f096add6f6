// `rerun-doctor python-guard --env`: the lines that turn the Python parent-death guard on for a
// server started some other way than `run --python-guard` (a shell, make, an IDE, a notebook).
// docs/prevention.md.
import { exportLines, GUARD_GRACE_VAR, GUARD_VAR, guardPythonPath, pythonGuardDir, pythonGuardShipped } from '../../actions/python-guard.js';
import { defineCommand } from '../command-spec.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';

const SHELLS = ['sh', 'fish'] as const;

export const spec = defineCommand({
  name: 'python-guard',
  usage: ['python-guard --env [--shell sh|fish | --json] [--grace D]', 'python-guard'],
  about: `rerun-doctor's parent-death guard for Python servers, without changing their code: a
sitecustomize (shipped in the package, python/sitecustomize) that, in every Python process whose
environment has RERUN_DOCTOR_GUARD=1, makes each child process (spawn, forkserver and fork
workers, the forkserver, Python subprocesses) exit --grace after the process that started it
died, SIGKILL included, on Linux and macOS; the main process gets SIGTERM and SIGINT handlers if
it has none. multiprocessing's resource tracker then exits by itself and unlinks what they
leaked. Any other sitecustomize (a virtualenv's, Debian's) still runs after it.

--env prints the lines that turn it on in a shell (eval them, or copy them into an IDE's run
configuration, a Makefile, a notebook's subprocess environment). "rerun-doctor run
--python-guard -- CMD" does the same for one command. Without --env: where the guard is, and
whether this environment has it on.`,
  flags: {
    env: { type: 'boolean', help: 'print the export lines that turn the guard on (PYTHONPATH keeps what it held)' },
    shell: { type: 'string', value: 'SHELL', choices: SHELLS, help: 'the lines for this shell: sh for sh, bash and zsh', defaultText: 'sh' },
    json: { type: 'boolean', help: "with --env: the variables as one JSON object, PYTHONPATH merged with this environment's (for subprocess env=, an IDE's env settings)" },
    grace: { type: 'string', value: 'D', help: 'how long a child waits after its parent died before it exits (RERUN_DOCTOR_GUARD_GRACE, at most 60s)', defaultText: '1s' },
  },
  common: false,
  examples: [
    { run: 'source <(rerun-doctor python-guard --env)', does: 'the guard on in this shell (bash, zsh): every Python server started from it' },
    { run: 'rerun-doctor python-guard --env --shell fish | source', does: 'the same in fish' },
    { run: 'rerun-doctor python-guard --env --grace 500ms >> .env.guard', does: 'for an IDE or a Makefile: the lines in a file' },
  ],
  exit: 'Exit status: 0; 2 for a usage error or when the guard is missing from the installation.',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const dir = pythonGuardDir();
  if (!pythonGuardShipped(dir)) throw new UsageError(`python-guard: the guard is missing from this installation (expected ${dir}/sitecustomize.py)`);
  const shell = (values.shell ?? 'sh') as (typeof SHELLS)[number];
  const graceSeconds = values.grace === undefined ? undefined : parseDuration(values.grace, '--grace', { minMs: 0 }) / 1000;
  if (graceSeconds !== undefined && graceSeconds > 60) throw new UsageError(`--grace "${values.grace}" is too long for the guard: at most 60s`);
  if (!values.env) {
    if (values.shell !== undefined || values.grace !== undefined || values.json) throw new UsageError('python-guard: --shell, --json and --grace go with --env, e.g. rerun-doctor python-guard --env --grace 2s');
    const on = io.env[GUARD_VAR] === '1' && (io.env.PYTHONPATH ?? '').split(':').includes(dir);
    io.stdout(`python guard: ${dir}\nthis environment: ${on ? 'on' : 'off'}${on ? '' : ' (eval "$(rerun-doctor python-guard --env)" turns it on)'}\n`);
    return EXIT.ok;
  }
  if (values.json) {
    if (values.shell !== undefined) throw new UsageError('python-guard: --json or --shell, not both');
    const vars: Record<string, string> = { PYTHONPATH: guardPythonPath(dir, io.env.PYTHONPATH), [GUARD_VAR]: '1' };
    if (graceSeconds !== undefined) vars[GUARD_GRACE_VAR] = String(graceSeconds);
    io.stdout(`${JSON.stringify(vars)}\n`);
    return EXIT.ok;
  }
  io.stdout(exportLines(dir, shell, graceSeconds));
  return EXIT.ok;
}
