// --record FILE.ndjson: one JSON object per line, versioned (docs/watch.md). The first line is
// a header; then one line per sample, a failed one included (as a gap with its reason).
// Append-only: an earlier recording is never overwritten, and a file that does not end with a
// newline gets one first, so the header starts its own line. Only a regular file is recorded to:
// a FIFO, a device or a directory is refused at once, without blocking (src/host/files.ts). A new
// file is created 0600 (the census records carry argv, which is not redacted); an existing one
// keeps its mode. A symlink is followed, as `>>` does: its target must be a regular file.
import { closeSync, writeSync } from 'node:fs';
import { FileProblem, openAppend } from '../host/files.js';
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
    fd = openAppend(path, { mode: 0o600 });
  } catch (e) {
    if (e instanceof FileProblem) throw new UsageError(e.said(`--record "${path}"`));
    throw e;
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
