// The Python parent-death guard (python/rerun_doctor_guard, docs/prevention.md): where the package
// ships it, and the environment that turns it on. The guard itself is Python; rerun-doctor only
// puts its sitecustomize first on PYTHONPATH and sets the marker, for `run --python-guard` and for
// the lines `python-guard --env` prints.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../host/package-root.js';

/** The marker: the guard starts only in a Python process whose environment has it set to 1. */
export const GUARD_VAR = 'RERUN_DOCTOR_GUARD';
/** The guard's grace, seconds (or 500ms, 2s): how long a child waits after its parent died. */
export const GUARD_GRACE_VAR = 'RERUN_DOCTOR_GUARD_GRACE';
/** Set by the guard itself: the guarded ancestors a process watches. A new main starts without it. */
export const GUARD_CHAIN_VAR = 'RERUN_DOCTOR_GUARD_CHAIN';

/** The directory to put on PYTHONPATH: python/sitecustomize of the package (host/package-root.ts). */
export function pythonGuardDir(): string {
  return join(packageRoot(), 'python', 'sitecustomize');
}

export function pythonGuardShipped(dir = pythonGuardDir()): boolean {
  return existsSync(`${dir}/sitecustomize.py`);
}

/** PYTHONPATH with dir first (once), the rest as it was (an empty entry, the working directory, kept). */
export function guardPythonPath(dir: string, current: string | undefined): string {
  if (current === undefined || current === '') return dir;
  return [dir, ...current.split(delimiter).filter((p) => p !== dir)].join(delimiter);
}

/** The command's environment with the guard on; the command is a new main (no inherited chain). */
export function pythonGuardEnv(env: NodeJS.ProcessEnv, opts: { dir?: string; graceSeconds?: number } = {}): NodeJS.ProcessEnv {
  const dir = opts.dir ?? pythonGuardDir();
  const out: NodeJS.ProcessEnv = { ...env, PYTHONPATH: guardPythonPath(dir, env.PYTHONPATH), [GUARD_VAR]: '1' };
  delete out[GUARD_CHAIN_VAR];
  if (opts.graceSeconds !== undefined) out[GUARD_GRACE_VAR] = String(opts.graceSeconds);
  return out;
}

/** A word for sh, bash and zsh: as it is when it is safe, else in single quotes. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** fish quotes: single quotes, with \ and ' escaped. */
function fishQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * The lines that turn the guard on in a shell: PYTHONPATH keeps what it held. No run id: one
 * exported id would tie every server started from that shell into one run for the census.
 */
export function exportLines(dir: string, shell: 'sh' | 'fish', graceSeconds?: number): string {
  if (shell === 'fish') {
    return [
      `set -gx PYTHONPATH ${fishQuote(dir)} $PYTHONPATH`,
      `set -gx ${GUARD_VAR} 1`,
      ...(graceSeconds === undefined ? [] : [`set -gx ${GUARD_GRACE_VAR} ${graceSeconds}`]),
      `set -e ${GUARD_CHAIN_VAR}`,
      '',
    ].join('\n');
  }
  return [
    `export PYTHONPATH=${shellQuote(dir)}\${PYTHONPATH:+:$PYTHONPATH}`,
    `export ${GUARD_VAR}=1`,
    ...(graceSeconds === undefined ? [] : [`export ${GUARD_GRACE_VAR}=${graceSeconds}`]),
    `unset ${GUARD_CHAIN_VAR}`,
    '',
  ].join('\n');
}
