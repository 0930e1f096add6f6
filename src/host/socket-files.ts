// Socket files on disk: a bounded depth-1 listing of one directory's socket entries, an lstat of
// one path, and a connect() that tells a stale socket file (ECONNREFUSED: nothing is bound to it)
// from one a listener still answers on. Nothing is ever written or unlinked.
import { lstatSync, type Stats } from 'node:fs';
import { net } from './builtins.js';
import { walkBounded } from './dir-list.js';
import { translateFsError } from './errors.js';

export interface SocketEntry {
  name: string;
  stat: Stats;
}

/** The socket entries among the first `maxEntries` names of `dir` (lstat'ed: a symlink to a socket is not one). */
export function listSocketEntries(dir: string, maxEntries: number): { entries: SocketEntry[]; read: number; truncated: boolean } {
  const entries: SocketEntry[] = [];
  const { read, truncated } = walkBounded(dir, maxEntries, (e) => {
    // d_type says socket, or says nothing (DT_UNKNOWN on some filesystems): then lstat decides.
    const unknown = !e.isFile() && !e.isDirectory() && !e.isSymbolicLink() && !e.isFIFO() && !e.isCharacterDevice() && !e.isBlockDevice() && !e.isSocket();
    if (!e.isSocket() && !unknown) return;
    try {
      const st = lstatSync(`${dir}/${e.name}`);
      if (st.isSocket()) entries.push({ name: e.name, stat: st });
    } catch {
      /* removed meanwhile */
    }
  });
  return { entries, read, truncated };
}

/** lstat of one path: its Stats, or throws ProcessGone (no such file) / AccessDenied. */
export function lstatPath(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (e) {
    throw translateFsError(e, path);
  }
}

/** sun_path holds 108 bytes, its NUL included. */
export const SUN_PATH_MAX = 107;

export type ConnectResult = { state: 'answered' | 'refused' | 'unchecked'; detail: string | null };

/** connect() to a unix stream socket and close at once: refused means nothing is bound to the file. */
export function probeUnixSocket(path: string, timeoutMs: number): Promise<ConnectResult> {
  if (Buffer.byteLength(path) > SUN_PATH_MAX) return Promise.resolve({ state: 'unchecked', detail: `path longer than ${SUN_PATH_MAX} bytes (sun_path): not connected to` });
  return new Promise((resolve) => {
    const s = net().connect({ path });
    const done = (r: ConnectResult) => {
      clearTimeout(timer);
      s.removeAllListeners();
      s.on('error', () => {});
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ state: 'unchecked', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    s.once('connect', () => done({ state: 'answered', detail: null }));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') done({ state: 'refused', detail: 'connect(): ECONNREFUSED' });
      // A datagram socket bound to it (EPROTOTYPE), or a listener whose backlog is full (EAGAIN): something holds it.
      else if (e.code === 'EPROTOTYPE' || e.code === 'EAGAIN') done({ state: 'answered', detail: `connect(): ${e.code}` });
      else done({ state: 'unchecked', detail: `connect(): ${e.code ?? e.message}` });
    });
  });
}
