// Synchronous reads under a root passed in as a value (never a global "/proc").
// Synchronous reads into one reused buffer were the fastest census in
// ../shared/reference/perf-baseline.md (async fs.promises was 3-5x slower for tiny /proc files).
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { translateFsError } from './errors.js';
import { startProcScan, type ProcScanJob } from './proc-scan.js';

export interface RootedFs {
  readonly root: string;
  /**
   * Whole file as UTF-8 text. Throws ProcessGone / AccessDenied / Error. `singleRead`: the file
   * hands over everything in one read when the buffer is big enough (/proc/PID/stat, cmdline), so
   * a short read is its end; seq_file tables (/proc/net/tcp) come a page at a time and are read to EOF.
   * `seqTable`: a seq_file table of short lines (/proc/net/tcp, tcp6, unix): the kernel fills each
   * read with whole lines up to a page, so a read shorter than a page less the longest line
   * (SEQ_END) is the last one; the read() that would return 0 is skipped, because for TCP it walks
   * the whole established-connections hash again (2-3 ms on a VM with 262,144 buckets).
   */
  read(rel: string, opts?: { singleRead?: boolean; seqTable?: boolean }): string;
  /** Whole file as bytes (binary /proc files such as auxv). */
  readBytes(rel: string): Buffer;
  readdir(rel: string): string[];
  readlink(rel: string): string;
  /**
   * Every fd of a process with its link target (`socket:[123]`, `pipe:[45]`, a path), in one call:
   * the hottest loop of a census, so the path is built once per pid. An fd closed between the
   * listing and its readlink is left out. Throws ProcessGone / AccessDenied for the fd directory.
   */
  fdLinks(pid: number): { fds: number[]; targets: string[] };
  /**
   * Every process's stat, cmdline and socket and pipe links, read in one pass shared with a worker
   * thread where that pays (host/proc-scan.ts). Absent on trees that are not real directories
   * (test doubles): callers read each pid through read() and fdLinks() instead.
   */
  startProcScan?(pids: readonly number[] | null): ProcScanJob;
  path(rel: string): string;
}

/** A page (4 KiB, the smallest there is) less a margin over the longest /proc/net line (tcp6: 178 bytes). */
const SEQ_END = 4096 - 512;

export function createRootedFs(root: string): RootedFs {
  let buf = Buffer.allocUnsafe(64 * 1024);
  // Plain concatenation: path.join's normalisation was a visible share of a census's CPU time.
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const path = (rel: string) => (rel === '.' ? root : prefix + rel);
  return {
    root,
    path,
    read(rel, opts) {
      const p = path(rel);
      let fd: number;
      try {
        fd = openSync(p, 'r');
      } catch (e) {
        throw translateFsError(e, p);
      }
      try {
        let len = 0;
        for (;;) {
          if (len === buf.length) {
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, len);
            buf = bigger;
          }
          const want = buf.length - len;
          const n = readSync(fd, buf, len, want, null);
          len += n;
          if (n === 0) break;
          // One read() fewer per process per file on every census (docs/benchmarks.md) for files
          // that come whole; everything else is read until read() returns 0.
          if (opts?.singleRead && n < want) break;
          if (opts?.seqTable && n < want && n < SEQ_END) break;
        }
        return buf.toString('utf8', 0, len);
      } catch (e) {
        throw translateFsError(e, p);
      } finally {
        closeSync(fd);
      }
    },
    readBytes(rel) {
      const p = path(rel);
      try {
        return readFileSync(p);
      } catch (e) {
        throw translateFsError(e, p);
      }
    },
    startProcScan(pids) {
      return startProcScan(prefix, pids);
    },
    fdLinks(pid) {
      const dir = `${prefix}${pid}/fd/`;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        throw translateFsError(e, dir);
      }
      const fds: number[] = [];
      const targets: string[] = [];
      for (const name of names) {
        try {
          targets.push(readlinkSync(dir + name));
          fds.push(Number(name));
        } catch {
          /* closed since the listing */
        }
      }
      return { fds, targets };
    },
    readdir(rel) {
      const p = path(rel);
      try {
        return readdirSync(p);
      } catch (e) {
        throw translateFsError(e, p);
      }
    },
    readlink(rel) {
      const p = path(rel);
      try {
        return readlinkSync(p);
      } catch (e) {
        throw translateFsError(e, p);
      }
    },
  };
}
