// The POSIX shared-memory directory (/dev/shm, or a root passed in): listing, lstat, statfs, and
// the one unlink `clean --shm` makes. Separate from RootedFs: nothing else here removes files.
import { lstatSync, readdirSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { translateFsError } from './errors.js';

export interface ShmStat {
  isFile: boolean;
  isDirectory: boolean;
  /** `major:minor` of the filesystem it is on, as /proc/PID/mountinfo writes it (decimal). */
  dev: string;
  ino: number;
  uid: number;
  mode: number;
  size: number;
  /** st_blocks × 512. */
  usedBytes: number;
  mtimeMs: number;
  ctimeMs: number;
  /** 0 where the filesystem keeps no birth time. */
  birthtimeMs: number;
}

export interface ShmFsUsage {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
}

export interface ShmDir {
  readonly root: string;
  /** The entries' names. Throws ProcessGone (no such directory) / AccessDenied / Error. */
  list(): string[];
  /** lstat of an entry; null when it is gone. */
  stat(name: string): ShmStat | null;
  /** statfs of the directory's filesystem (df). */
  usage(): ShmFsUsage;
  /** The device and inode a path resolves to (a /proc/PID/fd/N link: the open file itself), or null. */
  identify(path: string): { dev: string; ino: number } | null;
  /** Removes an entry: 'gone' when it was not there, 'denied' for EACCES/EPERM. */
  unlink(name: string): 'ok' | 'gone' | 'denied' | { error: string };
}

/** glibc's gnu_dev_major/gnu_dev_minor on a Linux st_dev. */
export function devString(dev: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

export function createShmDir(root: string): ShmDir {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const path = (name: string) => {
    // Names come from readdir or from a plan made of readdir's names: never a path.
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`not an entry name: ${JSON.stringify(name)}`);
    return prefix + name;
  };
  return {
    root,
    list() {
      try {
        return readdirSync(root);
      } catch (e) {
        throw translateFsError(e, root);
      }
    },
    stat(name) {
      let st;
      try {
        st = lstatSync(path(name));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return null;
        throw translateFsError(e, path(name));
      }
      return {
        isFile: st.isFile(),
        isDirectory: st.isDirectory(),
        dev: devString(st.dev),
        ino: st.ino,
        uid: st.uid,
        mode: st.mode & 0o7777,
        size: st.size,
        usedBytes: st.blocks * 512,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
        birthtimeMs: st.birthtimeMs > 0 ? st.birthtimeMs : 0,
      };
    },
    usage() {
      let s;
      try {
        s = statfsSync(root);
      } catch (e) {
        throw translateFsError(e, root);
      }
      return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize, availableBytes: s.bavail * s.bsize };
    },
    identify(p) {
      try {
        const st = statSync(p);
        return { dev: devString(st.dev), ino: st.ino };
      } catch {
        return null;
      }
    },
    unlink(name) {
      try {
        unlinkSync(path(name));
        return 'ok';
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return 'gone';
        if (code === 'EACCES' || code === 'EPERM') return 'denied';
        return { error: code ?? (e as Error).message };
      }
    },
  };
}
