// --record FILE.ndjson: one JSON object per line, versioned (docs/watch.md). The first line is
// a header; then one line per sample, a failed one included (as a gap with its reason).
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../model/errors.js';

export const RECORD_SCHEMA_VERSION = 1;

export interface Recorder {
  write(line: object): void;
  close(): void;
}

/** Opens FILE for appending: an earlier recording is never overwritten. */
export function openRecorder(path: string, header: object): Recorder {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    throw new UsageError(`--record "${path}": cannot open for writing: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const write = (line: object) => {
    try {
      writeSync(fd, JSON.stringify(line) + '\n');
    } catch (e) {
      throw new UsageError(`--record "${path}": cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  write({ type: 'header', schemaVersion: RECORD_SCHEMA_VERSION, ...header });
  return {
    write,
    close: () => closeSync(fd),
  };
}
