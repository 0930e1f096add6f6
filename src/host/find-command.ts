// Whether a command can be started, found as execvp(3) finds it (a name with a slash is a path
// from the working directory; any other is looked up in PATH), so that a command that cannot be
// started is said in one line before anything is started for it, as a shell says it.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Why a command cannot be started. */
export type CommandProblem = 'not-found' | 'no-such-file' | 'directory' | 'not-executable';

export type FoundCommand = { ok: true; path: string } | { ok: false; problem: CommandProblem };

/** What execvp searches when the environment has no PATH (glibc's and libuv's default). */
const DEFAULT_PATH = '/usr/bin:/bin';

function probe(path: string): FoundCommand {
  let st;
  try {
    st = statSync(path);
  } catch {
    return { ok: false, problem: 'no-such-file' };
  }
  if (st.isDirectory()) return { ok: false, problem: 'directory' };
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { ok: false, problem: 'not-executable' };
  }
  return { ok: true, path };
}

export function findCommand(file: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): FoundCommand {
  if (file === '') return { ok: false, problem: 'not-found' };
  if (file.includes('/')) return probe(isAbsolute(file) ? file : resolve(opts.cwd, file));
  let sawNotExecutable = false;
  for (const dir of (opts.env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    // An empty entry is the working directory, as for execvp.
    const found = probe(resolve(opts.cwd, join(dir, file)));
    if (found.ok) return found;
    if (found.problem === 'not-executable') sawNotExecutable = true;
  }
  return { ok: false, problem: sawNotExecutable ? 'not-executable' : 'not-found' };
}

/** The problem in words: `"x": command not found`. */
export function describeCommandProblem(file: string, problem: CommandProblem): string {
  const words: Record<CommandProblem, string> = {
    'not-found': 'command not found (not in PATH)',
    'no-such-file': 'no such file',
    directory: 'is a directory, not a command',
    'not-executable': 'not executable (no execute permission)',
  };
  return `"${file}": ${words[problem]}`;
}

/** A shell's exit status for it: 127 not found, 126 found but not executable. */
export function commandProblemStatus(problem: CommandProblem): 126 | 127 {
  return problem === 'not-found' || problem === 'no-such-file' ? 127 : 126;
}
