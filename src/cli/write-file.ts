// Writing a file the user named (evidence --out, diagnose/check --save), by the file policy of
// src/host/files.ts: atomically (a temporary file in the same directory, then renamed), created
// 0600 (the evidence holds argv and environment, redacted or not), only ever a regular file, and
// never over one that exists unless the command has --force and it was given. With --force the
// file is replaced, not written through: a symlink there is replaced itself, its target untouched.
import { checkWritable, FileProblem, writeFileAtomic } from '../host/files.js';
import { UsageError } from './errors.js';

export interface WriteNewOptions {
  /** Replace an existing regular file or symlink (the command's --force was given). */
  force?: boolean;
  /** The command has --force: an existing file is "pass --force to overwrite it", not "choose another file". */
  forceFlag?: boolean;
}

function usageError(e: unknown, flag: string, o: WriteNewOptions): never {
  if (!(e instanceof FileProblem)) throw e;
  const exists = o.forceFlag ? 'exists: pass --force to overwrite it' : 'exists: choose another file (it is never overwritten)';
  throw new UsageError(e.code === 'EEXIST' ? `${flag} "${e.path}" ${exists}` : e.said(`${flag} "${e.path}"`));
}

export function writeNew(path: string, text: string, flag: string, o: WriteNewOptions = {}): void {
  try {
    writeFileAtomic(path, text, { replace: o.force === true, mode: 0o600 });
  } catch (e) {
    usageError(e, flag, o);
  }
}

/** Said before the work that would fill it, so a run is not wasted on a file that cannot be written. */
writeNew.check = (path: string, flag: string, o: WriteNewOptions = {}): void => {
  try {
    checkWritable(path, { replace: o.force === true });
  } catch (e) {
    usageError(e, flag, o);
  }
};
