// The files rerun-doctor writes and reads back (the evidence bundle, --save, --record, the state
// directory), with one policy (docs/diagnose.md "Files"):
//   - only a regular file is read or written: a FIFO, a device, a socket or a directory is refused
//     before anything blocks on it (opened O_NONBLOCK, then fstat'ed);
//   - a whole file is written atomically: a temporary file in the same directory (created 0600,
//     O_EXCL), fsync'ed, then renamed over the target (--force: a symlink there is replaced itself,
//     its target is never written) or hard-linked to it (no --force: never replaces anything, even
//     a file created meanwhile); an interrupted write leaves the old file or none, never half;
//   - an appended file (--record, the count history) starts on a new line when the file does not
//     end with one.
// Problems are FileProblem: a phrase about the path (`is a FIFO, not a regular file`), which the
// caller puts after the flag or the file it names.
import { crypto } from './builtins.js';
import { accessSync, closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class FileProblem extends Error {
  override readonly name = 'FileProblem';
  constructor(
    readonly path: string,
    /** What is wrong, as a phrase after the path: `exists`, `is a FIFO, not a regular file`, … */
    readonly problem: string,
    /** `EEXIST` for a target that exists (the caller says how to overwrite), else the errno or `ENOTREG`. */
    readonly code: string,
  ) {
    super(`${path}: ${problem}`);
  }

  /** The problem after `label` (`--out "x"`): `--out "x" is a FIFO, …`, `--out "x": the directory "/d" does not exist`. */
  said(label: string): string {
    return /^(is|exists)\b/.test(this.problem) ? `${label} ${this.problem}` : `${label}: ${this.problem}`;
  }
}

/** What a non-regular file is ("a FIFO"), or null for a regular file. */
export function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
const REASONS: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded' };
const why = (e: unknown) => {
  const code = errno(e);
  return REASONS[code] ? `${REASONS[code]} (${code})` : code;
};

/** The directory a new file goes in must exist, be a directory and be writable. */
function checkDirectory(path: string): void {
  const dir = dirname(path);
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT') throw new FileProblem(path, `the directory "${dir}" does not exist`, 'ENOENT');
    if (code === 'ENOTDIR') throw new FileProblem(path, `"${dir}" is not a directory`, 'ENOTDIR');
    throw new FileProblem(path, `cannot reach the directory "${dir}": ${why(e)}`, code);
  }
  if (!st.isDirectory()) throw new FileProblem(path, `"${dir}" is not a directory`, 'ENOTDIR');
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new FileProblem(path, `cannot write in the directory "${dir}": ${why(e)}`, errno(e));
  }
}

/**
 * Whether `writeFileAtomic(path, …, { replace })` can be expected to work, without writing: said
 * before the work that fills the file. Throws FileProblem.
 */
export function checkWritable(path: string, o: { replace: boolean }): void {
  if (path === '') throw new FileProblem(path, 'is empty: expected a file name', 'EINVAL');
  let st: Stats | null = null;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOTDIR') throw new FileProblem(path, `"${dirname(path)}" is not a directory`, 'ENOTDIR');
    if (code !== 'ENOENT') throw new FileProblem(path, `cannot reach it: ${why(e)}`, code);
  }
  if (st !== null) {
    if (st.isDirectory()) throw new FileProblem(path, 'is a directory: name a file', 'EISDIR');
    if (!st.isFile() && !st.isSymbolicLink()) throw new FileProblem(path, `is ${notRegular(st)}, not a regular file: only a regular file is written`, 'ENOTREG');
    if (!o.replace) throw new FileProblem(path, 'exists', 'EEXIST');
  }
  checkDirectory(path);
}

/**
 * Writes `text` to `path` atomically (above). `replace: false` never replaces anything (EEXIST);
 * `replace: true` replaces a regular file or a symlink (the link itself). A new file has `mode`
 * (0600 by default; the umask applies). Throws FileProblem.
 */
export function writeFileAtomic(path: string, text: string, o: { replace: boolean; mode?: number }): void {
  checkWritable(path, o);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, o.mode ?? 0o600);
  } catch (e) {
    throw new FileProblem(path, `cannot write in the directory "${dirname(path)}": ${why(e)}`, errno(e));
  }
  try {
    try {
      const buf = Buffer.from(text);
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (o.replace) renameSync(tmp, path);
    else placeNew(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // gone already (renamed or linked, then a later step failed)
    }
    if (e instanceof FileProblem) throw e;
    if (errno(e) === 'EEXIST') throw new FileProblem(path, 'exists', 'EEXIST');
    if (errno(e) === 'EISDIR') throw new FileProblem(path, 'is a directory: name a file', 'EISDIR');
    throw new FileProblem(path, `cannot write: ${why(e)}`, errno(e));
  }
}

/** tmp → path without ever replacing what is there: link(2) fails with EEXIST. */
function placeNew(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
  } catch (e) {
    // A file system without hard links (vfat, some FUSE mounts): rename after a last look.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS'].includes(errno(e))) throw e;
    let exists = true;
    try {
      lstatSync(path);
    } catch {
      exists = false;
    }
    if (exists) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    renameSync(tmp, path);
    return;
  }
  unlinkSync(tmp);
}

/**
 * Opens `path` for appending (created with `mode`, 0600 by default), refusing anything but a
 * regular file without blocking on it; when the file does not end with a newline, one is written
 * first, so the next line starts on its own. Returns the fd. Throws FileProblem.
 */
export function openAppend(path: string, o: { mode?: number } = {}): number {
  const flags = constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;
  const mode = o.mode ?? 0o600;
  let fd: number;
  let readable = true;
  try {
    fd = openSync(path, constants.O_RDWR | flags, mode);
  } catch (e) {
    if (errno(e) !== 'EACCES') throw openProblem(path, e);
    // Writable but not readable (mode 0200): append without looking at the last byte.
    readable = false;
    try {
      fd = openSync(path, constants.O_WRONLY | flags, mode);
    } catch (e2) {
      throw openProblem(path, e2);
    }
  }
  try {
    const st = fstatSync(fd);
    const kind = notRegular(st);
    if (kind !== null) throw new FileProblem(path, `is ${kind}, not a regular file: only a regular file is appended to`, 'ENOTREG');
    if (st.size > 0) {
      const last = Buffer.alloc(1);
      const gluedOn = !readable || (readSync(fd, last, 0, 1, st.size - 1) === 1 && last[0] !== 0x0a);
      if (gluedOn) writeSync(fd, '\n');
    }
  } catch (e) {
    closeSync(fd);
    throw e instanceof FileProblem ? e : new FileProblem(path, `cannot write: ${why(e)}`, errno(e));
  }
  return fd;
}

function openProblem(path: string, e: unknown): FileProblem {
  const code = errno(e);
  if (code === 'EISDIR') return new FileProblem(path, 'is a directory: name a file', code);
  // O_NONBLOCK on a FIFO nobody reads.
  if (code === 'ENXIO') return new FileProblem(path, 'is a FIFO or a device, not a regular file: only a regular file is appended to', 'ENOTREG');
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    try {
      checkDirectory(path);
    } catch (p) {
      if (p instanceof FileProblem) return p;
    }
  }
  return new FileProblem(path, `cannot open for writing: ${why(e)}`, code);
}

/** A regular file's text, or null when there is none; anything else is refused without blocking. Throws FileProblem. */
export function readRegularFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw new FileProblem(path, `cannot read: ${why(e)}`, errno(e));
  }
  try {
    const kind = notRegular(fstatSync(fd));
    if (kind !== null) throw new FileProblem(path, `is ${kind}, not a regular file`, 'ENOTREG');
    return readFileSync(fd, 'utf8');
  } catch (e) {
    throw e instanceof FileProblem ? e : new FileProblem(path, `cannot read: ${why(e)}`, errno(e));
  } finally {
    closeSync(fd);
  }
}
