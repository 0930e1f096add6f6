// Writing a file the user named, never over one that exists unless they said so (--force): nothing
// is overwritten unasked.
import { existsSync, writeFileSync } from 'node:fs';
import { UsageError } from './errors.js';

export function writeNew(path: string, text: string, flag: string, force = false): void {
  try {
    writeFileSync(path, text, { flag: force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} "${path}": ${code === 'EEXIST' ? 'exists: choose another file (it is never overwritten)' : `cannot write: ${code ?? (e as Error).message}`}`);
  }
}

/** Said before the work that would fill it, so a run is not wasted on a file that cannot be written. */
writeNew.check = (path: string, flag: string): void => {
  if (existsSync(path)) throw new UsageError(`${flag} "${path}" exists: choose another file (it is never overwritten)`);
};
