// Saved censuses and the count history, per project, under a state directory:
// --state-dir / "state-dir" in the config, else $RERUN_DOCTOR_STATE_DIR, else
// $XDG_STATE_HOME/rerun-doctor, else ~/.local/state/rerun-doctor (XDG Base Directory spec).
import { crypto } from '../host/builtins.js';
import { closeSync, mkdirSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FileProblem, openAppend, readRegularFile, writeFileAtomic } from '../host/files.js';
import type { RecordCheck } from './records.js';

export function stateBaseDir(explicit: string | null, env: NodeJS.ProcessEnv): string {
  if (explicit) return explicit;
  if (env.RERUN_DOCTOR_STATE_DIR) return env.RERUN_DOCTOR_STATE_DIR;
  const xdg = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(xdg, 'rerun-doctor');
}

/** One folder per project root: readable name + a hash so two checkouts named alike stay apart. */
export function projectStateDir(base: string, root: string): string {
  const hash = crypto().createHash('sha256').update(root).digest('hex').slice(0, 10);
  const name = (basename(root) || 'root').replace(/[^A-Za-z0-9._-]/g, '_');
  return join(base, `${name}-${hash}`);
}

export class StateError extends Error {
  override readonly name = 'StateError';
}

const HINT = '(set --state-dir or state-dir in the config)';

function stateDirFor(path: string): void {
  try {
    // 0700, as the XDG Base Directory spec asks of the directories it creates: the censuses hold argv.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateError(`${dirname(path)}: cannot create the state directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} ${HINT}`);
  }
}

function text(path: string): string | null {
  try {
    return readRegularFile(path);
  } catch (e) {
    if (e instanceof FileProblem) throw new StateError(e.message);
    throw e;
  }
}

/**
 * A saved record (before.json), checked by `check`: null when there is no file; a StateError naming
 * the file, what is wrong and `fix` (what to do) when it is not valid JSON or not a valid record.
 */
export function readJsonFile<T>(path: string, check: RecordCheck, fix: string): T | null {
  const t = text(path);
  if (t === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (e) {
    throw new StateError(`${path}: not valid JSON (${(e as Error).message}): ${fix}`);
  }
  const problem = check(value);
  if (problem !== null) throw new StateError(`${path}: ${problem}: ${fix}`);
  return value as T;
}

/** Atomic (src/host/files.ts): an interrupted write never leaves half a file; created 0600. */
export function writeJsonFile(path: string, value: unknown): void {
  stateDirFor(path);
  try {
    writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', { replace: true, mode: 0o600 });
  } catch (e) {
    if (e instanceof FileProblem) throw new StateError(`${e.message} ${HINT}`);
    throw e;
  }
}

/** One line at the end (a new line first when the file does not end with one); created 0600. */
export function appendNdjson(path: string, value: unknown): void {
  stateDirFor(path);
  let fd: number;
  try {
    fd = openAppend(path, { mode: 0o600 });
  } catch (e) {
    if (e instanceof FileProblem) throw new StateError(`${e.message} ${HINT}`);
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(value) + '\n');
  } catch (e) {
    throw new StateError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} ${HINT}`);
  } finally {
    closeSync(fd);
  }
}

export interface Skipped {
  line: number;
  /** What is wrong with it (`not valid JSON`, or the record check's phrase). */
  problem: string;
}

/**
 * The valid lines of an NDJSON file, each checked by `check`; invalid ones are skipped (with their
 * line numbers in `bad` and what is wrong in `skipped`), never thrown. No file: no entries.
 */
export function readNdjson<T>(path: string, check: RecordCheck): { entries: T[]; bad: number[]; skipped: Skipped[] } {
  const t = text(path);
  const entries: T[] = [];
  const skipped: Skipped[] = [];
  (t ?? '').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, problem: 'not valid JSON' });
      return;
    }
    const problem = check(value);
    if (problem === null) entries.push(value as T);
    else skipped.push({ line: i + 1, problem });
  });
  return { entries, bad: skipped.map((s) => s.line), skipped };
}

/** The one line that says what readNdjson skipped in `path` (null when nothing): the first three, then a count. */
export function skippedNote(path: string, skipped: Skipped[]): string | null {
  if (skipped.length === 0) return null;
  const shown = skipped.slice(0, 3).map((s) => `line ${s.line}: ${s.problem}`);
  const more = skipped.length > 3 ? `; ${skipped.length - 3} more` : '';
  return `${path}: ${skipped.length} invalid line${skipped.length === 1 ? '' : 's'} skipped (${shown.join('; ')}${more})`;
}
