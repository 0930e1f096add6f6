// A bounded listing of one directory with each entry's size and modification time: at most
// `maxEntries` names are read (opendir, one entry at a time), and only entries whose name passes
// `want` are stat'ed. Throws ProcessGone (ENOENT: no such directory), AccessDenied or Error.
import { lstatSync, opendirSync, type Dirent } from 'node:fs';
import { translateFsError } from './errors.js';

export interface ListedEntry {
  name: string;
  bytes: number | null;
  mtimeMs: number | null;
}

export interface Listing {
  entries: ListedEntry[];
  /** Names read (up to maxEntries). */
  read: number;
  /** More names were there than maxEntries: the rest were not read. */
  truncated: boolean;
}

/**
 * The first `maxEntries` names of a directory, one entry at a time (opendir: a huge directory is
 * never read whole), each given to `visit`. The one bounded walk of the listings here and of the
 * socket files (socket-files.ts).
 */
export function walkBounded(path: string, maxEntries: number, visit: (entry: Dirent) => void): { read: number; truncated: boolean } {
  let dir;
  try {
    dir = opendirSync(path);
  } catch (e) {
    throw translateFsError(e, path);
  }
  let read = 0;
  let truncated = false;
  try {
    for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
      if (read === maxEntries) {
        truncated = true;
        break;
      }
      read++;
      visit(d);
    }
  } catch (e) {
    throw translateFsError(e, path);
  } finally {
    dir.closeSync();
  }
  return { read, truncated };
}

export function listDirectory(path: string, maxEntries: number, want: (name: string) => boolean): Listing {
  const entries: ListedEntry[] = [];
  const { read, truncated } = walkBounded(path, maxEntries, (d) => {
    if (!want(d.name)) {
      entries.push({ name: d.name, bytes: null, mtimeMs: null });
      return;
    }
    try {
      const st = lstatSync(`${path}/${d.name}`);
      entries.push({ name: d.name, bytes: st.size, mtimeMs: st.mtimeMs });
    } catch {
      entries.push({ name: d.name, bytes: null, mtimeMs: null }); // removed meanwhile
    }
  });
  return { entries, read, truncated };
}
