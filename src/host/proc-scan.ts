// The census's pass over every process (its stat, its cmdline, the socket and pipe links of its fd
// table), shared between this thread and one worker thread. All of it is system calls into procfs,
// so on a machine with a second core both threads take pids from one list: this thread from the
// lowest pid up, the worker from the highest down, each pid claimed in a shared bitmap
// (Atomics.or: the first side to set a pid's bit reads it), so neither waits for the other and none
// is read twice. A worker slow to start claims little or nothing, and this thread then reads the
// rest, as a census without a worker would. The CLI starts the worker first thing
// (prestartProcScan), so it reads while the command's module loads. Issue 12; docs/benchmarks.md.
//
// Both threads run the same functions (readError, readWhole, scanPid below): the worker is given
// their source text (Function.prototype.toString), so it needs no module file, bundled or not, and
// the two sides cannot drift apart. They must stay self-contained: no imports, no helpers from
// outside, no inner functions (a bundler may wrap those in helpers of its own).
// What they read is raw text; parsing it is the census's (probes/processes.linux.ts), on this thread.
// Only sockets and pipes are kept from the fd links: the rest (files, ttys) are never read from it.
import { availableParallelism } from 'node:os';
import { closeSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import type { Worker as WorkerType } from 'node:worker_threads';
import { createRequire } from 'node:module';

/** The socket and pipe links of one process's fd table. */
export interface FdLinks {
  fds: number[];
  targets: string[];
}

/**
 * One process as read by either thread. An error is 'gone' (ENOENT, ESRCH: it exited), 'denied'
 * (EACCES, EPERM) or the error's message.
 */
export interface RawProc {
  /** /proc/PID/stat, or null when it could not be read (statError says why). */
  stat: string | null;
  statError: string | null;
  /** /proc/PID/cmdline; not read for a kernel thread (PF_KTHREAD in stat) or when stat failed. */
  cmdline: string | null;
  cmdlineError: string | null;
  /** The socket and pipe links of the fd table; null when not read (kernel thread, gone, denied). */
  fds: number[] | null;
  targets: string[] | null;
  /** The fd table was not readable (another user's process, without root). */
  fdDenied: boolean;
}

export interface ProcScanResult {
  /** By pid, every pid of the listing given (whoever read it). */
  procs: Map<number, RawProc>;
  /** By pid: its socket: and pipe: links. A pid whose table was not read is absent. */
  links: Map<number, FdLinks>;
  /** Pids whose fd table was not readable (another user's, without root). */
  denied: number[];
  /** How many pids the worker thread read (for the benchmarks and the tests). */
  workerPids: number;
}

export interface ProcScanJob {
  /** Reads, on this thread, every pid nobody has claimed yet, then waits for the worker's share. */
  finish(): Promise<ProcScanResult>;
}

/** The fs functions the shared code calls: node:fs's on either thread. */
interface ScanFs {
  openSync: typeof openSync;
  readSync: typeof readSync;
  closeSync: typeof closeSync;
  readdirSync: (path: string) => string[];
  readlinkSync: (path: string) => string;
}

/** A read buffer that grows (a cmdline can be megabytes long). */
interface ReadBox {
  buf: Buffer;
}

/** Pids above this (Linux's PID_MAX_LIMIT on 64-bit) are read here, never claimed in the bitmap. */
const PID_LIMIT = 4194304;

/** Below this many processes a worker's start (a new V8 isolate, 10-30 ms) costs more than it saves. */
export const PARALLEL_MIN_PIDS = 400;

// ---- Shared with the worker by source text: keep these three self-contained. ----

/** errno → 'gone' | 'denied' | the message (host/errors.ts's translateFsError, as text). */
function readError(e: unknown): string {
  const code = e && (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ESRCH') return 'gone';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return e && (e as Error).message ? (e as Error).message : String(e);
}

/**
 * A whole /proc/PID file that comes in one read when the buffer is big enough (stat, cmdline): a
 * short read is its end, so the read() that would return 0 is not made. Throws the fs error.
 */
function readWhole(fs: ScanFs, path: string, box: ReadBox): string {
  const fd = fs.openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === box.buf.length) {
        const bigger = Buffer.allocUnsafe(box.buf.length * 2);
        box.buf.copy(bigger, 0, 0, len);
        box.buf = bigger;
      }
      const want = box.buf.length - len;
      const n = fs.readSync(fd, box.buf, len, want, null);
      len += n;
      if (n === 0 || n < want) break;
    }
    return box.buf.toString('utf8', 0, len);
  } finally {
    fs.closeSync(fd);
  }
}

/** One process: stat, then (unless it is a kernel thread or gone) cmdline and the fd table's sockets and pipes. */
function scanPid(fs: ScanFs, prefix: string, pid: number, box: ReadBox): RawProc {
  const base = prefix + pid + '/';
  const r: RawProc = { stat: null, statError: null, cmdline: null, cmdlineError: null, fds: null, targets: null, fdDenied: false };
  let stat: string;
  try {
    stat = readWhole(fs, base + 'stat', box);
  } catch (e) {
    r.statError = readError(e);
    return r;
  }
  r.stat = stat;
  // Field 9 (flags) is the sixth after the state, which follows the last ")" (comm may hold any
  // character). PF_KTHREAD: a kernel thread has no command line and no fd table of its own. A line
  // that does not parse is read on; the census's parser reports it.
  let k = stat.lastIndexOf(')') + 2;
  for (let f = 3; f < 9 && k > 1; f++) k = stat.indexOf(' ', k) + 1;
  if (k > 1 && (parseInt(stat.slice(k, k + 12), 10) & 0x00200000) !== 0) return r;
  try {
    r.cmdline = readWhole(fs, base + 'cmdline', box);
  } catch (e) {
    r.cmdlineError = readError(e);
    if (r.cmdlineError === 'gone') return r;
  }
  const dir = base + 'fd/';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    r.fdDenied = readError(e) === 'denied';
    return r;
  }
  const fds: number[] = [];
  const targets: string[] = [];
  for (let i = 0; i < names.length; i++) {
    let t: string;
    try {
      t = fs.readlinkSync(dir + names[i]);
    } catch {
      continue; // closed since the listing
    }
    if (t.startsWith('socket:') || t.startsWith('pipe:')) {
      fds.push(Number(names[i]));
      targets.push(t);
    }
  }
  r.fds = fds;
  r.targets = targets;
  return r;
}

// ---- End of the shared code. ----

// The worker's code, evaluated as a CommonJS script (Worker's `eval`). It lists the proc root
// itself (so it can start before the census has its list: prestartProcScan), claims pids from the
// highest down, and posts its records as flat arrays (WorkerReply): a thousand small objects cost
// the structured clone four times as much.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
${readError.toString()}
${readWhole.toString()}
${scanPid.toString()}
const { prefix, shared } = workerData;
const claimed = new Int32Array(shared);
const box = { buf: Buffer.allocUnsafe(65536) };
const out = { pids: [], stat: [], statError: [], cmdline: [], cmdlineError: [], nfds: [], fds: [], targets: [] };
let names = [];
try { names = fs.readdirSync(prefix); } catch {}
for (let i = names.length - 1; i >= 0; i--) {
  const n = names[i];
  const c = n.charCodeAt(0);
  if (c < 48 || c > 57) continue;
  const pid = Number(n);
  if (!(pid > 0 && pid < ${PID_LIMIT})) continue;
  const bit = 1 << (pid & 31);
  if (Atomics.or(claimed, pid >>> 5, bit) & bit) continue;
  const r = scanPid(fs, prefix, pid, box);
  out.pids.push(pid); out.stat.push(r.stat); out.statError.push(r.statError); out.cmdline.push(r.cmdline); out.cmdlineError.push(r.cmdlineError);
  if (r.fds === null) out.nfds.push(r.fdDenied ? -2 : -1);
  else { out.nfds.push(r.fds.length); for (let j = 0; j < r.fds.length; j++) { out.fds.push(r.fds[j]); out.targets.push(r.targets[j]); } }
}
parentPort.postMessage(out);
`;

const FS: ScanFs = { openSync, readSync, closeSync, readdirSync: (p) => readdirSync(p), readlinkSync: (p) => readlinkSync(p) };
let hereBox: ReadBox | null = null;

const lazyWorker = (): typeof import('node:worker_threads').Worker => (createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')).Worker;

/** The worker's records, column by column; nfds: the number of links, -1 fd table not read, -2 denied. */
interface WorkerReply {
  pids: number[];
  stat: (string | null)[];
  statError: (string | null)[];
  cmdline: (string | null)[];
  cmdlineError: (string | null)[];
  nfds: number[];
  fds: number[];
  targets: string[];
}

/** A worker reading under a prefix, and the bitmap of the pids claimed by either side. */
interface Helper {
  prefix: string;
  claimed: Int32Array;
  worker: WorkerType;
  reply: Promise<WorkerReply | null>;
}

function startHelper(prefix: string): Helper | null {
  const shared = new SharedArrayBuffer((PID_LIMIT >>> 5) * 4 + 4);
  try {
    const Worker = lazyWorker();
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { prefix, shared }, stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: 128 } });
    const reply = new Promise<WorkerReply | null>((resolve) => {
      w.once('message', (m: WorkerReply) => resolve(m));
      // A worker that cannot run (no memory for an isolate, a sandbox): this thread reads every
      // pid the worker did not claim, and a claimed one again (finish()).
      w.once('error', () => resolve(null));
      w.once('exit', () => resolve(null));
    });
    w.unref();
    return { prefix, claimed: new Int32Array(shared), worker: w, reply };
  } catch {
    return null;
  }
}

// A worker started at the CLI's very start (bin.ts), before the command's module is even loaded,
// waiting for the census that adopts it. One per process: a later census starts its own.
const PRESTARTED = Symbol.for('rerun-doctor.proc-scan.prestarted');
type Registry = { [PRESTARTED]?: Helper };

/** Whether a worker pays here: a second core, and not turned off (RERUN_DOCTOR_THREADS=1). */
export function parallelWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return availableParallelism() > 1 && env.RERUN_DOCTOR_THREADS !== '1';
}

/**
 * Starts the worker now, for the census this process is about to take under `prefix` (the CLI
 * calls it first thing for the commands that take one). Harmless if no census comes: the worker
 * is never waited for, and never holds the process open.
 */
export function prestartProcScan(prefix: string): void {
  const g = globalThis as Registry;
  if (g[PRESTARTED] || !parallelWanted()) return;
  const h = startHelper(prefix);
  if (h) g[PRESTARTED] = h;
}

function resultOf(procs: Map<number, RawProc>, workerPids: number): ProcScanResult {
  const links = new Map<number, FdLinks>();
  const denied: number[] = [];
  for (const [pid, r] of procs) {
    if (r.fds !== null) links.set(pid, { fds: r.fds, targets: r.targets! });
    else if (r.fdDenied) denied.push(pid);
  }
  return { procs, links, denied: denied.sort((a, b) => a - b), workerPids };
}

/**
 * Starts the pass over `pids` under `prefix` (a proc root ending in "/"). With `parallel` (default:
 * a second core and at least PARALLEL_MIN_PIDS pids; RERUN_DOCTOR_THREADS=1 turns it off) a worker
 * thread takes part: one prestarted for this prefix (prestartProcScan), else one started now. Call
 * finish() when this thread is free.
 */
export function startProcScan(prefix: string, pids: readonly number[], opts: { parallel?: boolean; env?: NodeJS.ProcessEnv } = {}): ProcScanJob {
  const g = globalThis as Registry;
  const pre = g[PRESTARTED]?.prefix === prefix ? g[PRESTARTED]! : null;
  if (pre) delete g[PRESTARTED];
  const parallel = opts.parallel ?? (pre !== null || (pids.length >= PARALLEL_MIN_PIDS && parallelWanted(opts.env ?? process.env)));
  let helper: Helper | null = null;
  if (parallel) helper = pre ?? startHelper(prefix);
  else if (pre) void pre.worker.terminate();
  const box = (hereBox ??= { buf: Buffer.allocUnsafe(64 * 1024) });
  const here = (pid: number) => scanPid(FS, prefix, pid, box);
  return {
    async finish() {
      const procs = new Map<number, RawProc>();
      if (!helper) {
        for (const pid of pids) procs.set(pid, here(pid));
        return resultOf(procs, 0);
      }
      const { claimed, worker, reply } = helper;
      const theirs: number[] = [];
      for (const pid of pids) {
        if (!(pid > 0 && pid < PID_LIMIT)) {
          procs.set(pid, here(pid));
          continue;
        }
        const bit = 1 << (pid & 31);
        if (Atomics.or(claimed, pid >>> 5, bit) & bit) theirs.push(pid);
        else procs.set(pid, here(pid));
      }
      if (theirs.length === 0) {
        // It claimed none of ours (still starting): nothing to wait for.
        void worker.terminate();
        return resultOf(procs, 0);
      }
      // Unreferenced until now so that it never holds the process open by itself; waiting on it must.
      worker.ref();
      const m = await reply;
      const wanted = new Set(theirs);
      if (m) {
        // Pids the worker listed and this thread did not (born since) are not this census's.
        let f = 0;
        for (let k = 0; k < m.pids.length; k++) {
          const n = m.nfds[k]!;
          const pid = m.pids[k]!;
          if (wanted.has(pid)) {
            procs.set(pid, {
              stat: m.stat[k] ?? null,
              statError: m.statError[k] ?? null,
              cmdline: m.cmdline[k] ?? null,
              cmdlineError: m.cmdlineError[k] ?? null,
              fds: n >= 0 ? m.fds.slice(f, f + n) : null,
              targets: n >= 0 ? m.targets.slice(f, f + n) : null,
              fdDenied: n === -2,
            });
          }
          if (n > 0) f += n;
        }
      }
      // The worker died with pids claimed (or, impossibly, skipped one): read those here, so none is missed.
      for (const pid of theirs) if (!procs.has(pid)) procs.set(pid, here(pid));
      return resultOf(procs, theirs.length);
    },
  };
}
