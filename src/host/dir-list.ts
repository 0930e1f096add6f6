// A bounded listing of one directory with each entry's size and modification time: at most
// `maxEntries` names are read (opendir, one entry at a time), and only entries whose name passes
// `want` are stat'ed. Throws ProcessGone (ENOENT: no such directory), AccessDenied or Error.
import { lstatSync, opendirSync } from 'node:fs';
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

export function listDirectory(path: string, maxEntries: number, want: (name: string) => boolean): Listing {
  let dir;
  try {
    dir = opendirSync(path);
  } catch (e) {
    throw translateFsError(e, path);
  }
  const entries: ListedEntry[] = [];
  let read = 0;
  let truncated = false;
  try {
    for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
      if (read === maxEntries) {
        truncated = true;
        break;
      }
      read++;
      if (!want(d.name)) {
        entries.push({ name: d.name, bytes: null, mtimeMs: null });
        continue;
      }
      try {
        const st = lstatSync(`${path}/${d.name}`);
        entries.push({ name: d.name, bytes: st.size, mtimeMs: st.mtimeMs });
      } catch {
        entries.push({ name: d.name, bytes: null, mtimeMs: null }); // removed meanwhile
      }
    }
  } catch (e) {
    throw translateFsError(e, path);
  } finally {
    dir.closeSync();
  }
  return { entries, read, truncated };
}
