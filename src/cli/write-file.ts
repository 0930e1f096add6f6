// Writing a file the user named, never over one that exists (nothing is overwritten unasked).
import { writeFileSync } from 'node:fs';
import { UsageError } from './errors.js';

export function writeNew(path: string, text: string, flag: string, force = false): void {
  try {
    writeFileSync(path, text, { flag: force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} "${path}": ${code === 'EEXIST' ? (force ? 'exists' : 'exists: it is never overwritten') : `cannot write: ${code ?? (e as Error).message}`}`);
  }
}
