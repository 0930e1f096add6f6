// Saved censuses and the count history, per project, under a state directory:
// --state-dir / "state-dir" in the config, else $RERUN_DOCTOR_STATE_DIR, else
// $XDG_STATE_HOME/rerun-doctor, else ~/.local/state/rerun-doctor (XDG Base Directory spec).
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

export function stateBaseDir(explicit: string | null, env: NodeJS.ProcessEnv): string {
  if (explicit) return explicit;
  if (env.RERUN_DOCTOR_STATE_DIR) return env.RERUN_DOCTOR_STATE_DIR;
  const xdg = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(xdg, 'rerun-doctor');
}

/** One folder per project root: readable name + a hash so two checkouts named alike stay apart. */
export function projectStateDir(base: string, root: string): string {
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 10);
  const name = (basename(root) || 'root').replace(/[^A-Za-z0-9._-]/g, '_');
  return join(base, `${name}-${hash}`);
}

export class StateError extends Error {
  override readonly name = 'StateError';
}

export function readJsonFile<T>(path: string): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(`${path}: cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StateError(`${path}: not valid JSON (${(e as Error).message}); delete it to start over`);
  }
}

/** Write-then-rename, so an interrupted write never leaves half a file. */
export function writeJsonFile(path: string, value: unknown): void {
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    throw new StateError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (set --state-dir or state-dir in the config)`);
  }
}

export function appendNdjson(path: string, value: unknown): void {
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    appendFileSync(path, JSON.stringify(value) + '\n');
  } catch (e) {
    throw new StateError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (set --state-dir or state-dir in the config)`);
  }
}

export function readNdjson<T>(path: string): { entries: T[]; bad: number[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], bad: [] };
    throw new StateError(`${path}: cannot read: ${(e as Error).message}`);
  }
  const entries: T[] = [];
  const bad: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      entries.push(JSON.parse(line) as T);
    } catch {
      bad.push(i + 1);
    }
  });
  return { entries, bad };
}
