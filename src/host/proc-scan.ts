// The census's pass over every process (its stat, its cmdline, the socket and pipe links of its fd
// table). All of it is system calls into procfs, about 25,000 of them for 2,000 processes, and
// Node's fs bindings cost about as much per call as the kernel's work; so, in this order:
//
// 1. The native reader (native/proc-scan.c, built by `npm run build` into
//    dist/native/proc-scan-linux-ARCH.node and shipped in the package; no install script): it
//    lists the proc root and reads it on one native thread per core (at most 4), started the
//    moment the CLI starts (prestartProcScan), so the reading goes on while the command's
//    JavaScript loads; the census takes what it read (collect). It reads exactly what scanPid
//    below reads and returns the same raw text; errors come back as errno values, made into the
//    same 'gone' / 'denied' / message here. Where it is not built or cannot load (another libc,
//    another platform, RERUN_DOCTOR_NATIVE=0), the census reads as in 2.
// 2. This thread and one worker thread share the pass: this thread takes pids from the lowest pid
//    up, the worker from the highest down, each pid claimed in a shared bitmap (Atomics.or: the
//    first side to set a pid's bit reads it), so neither waits for the other and none is read
//    twice. A worker slow to start (a new V8 isolate takes ~35 ms) claims little or nothing, and
//    this thread then reads the rest, as a census without a worker would.
//
// Either way, pids the census lists that the early listing did not have (born since) are read on
// this thread, and pids it has that the census does not list (gone since) are dropped.
// Issue 12; docs/benchmarks.md.
//
// Both threads of 2 run the same functions (readError, readWhole, scanPid below): the worker is given
// their source text (Function.prototype.toString), so it needs no module file, bundled or not, and
// the two sides cannot drift apart. They must stay self-contained: no imports, no helpers from
// outside, no inner functions (a bundler may wrap those in helpers of its own).
// What they read is raw text; parsing it is the census's (probes/processes.linux.ts), on this thread.
// Only sockets and pipes are kept from the fd links: the rest (files, ttys) are never read from it.
import { availableParallelism } from 'node:os';
import { closeSync, existsSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import type { Worker as WorkerType } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The socket and pipe links of one process's fd table. */
export interface FdLinks {
  fds: number[];
  targets: string[];
}

/**
 * One process as read by either thread. An error is 'gone' (ENOENT, ESRCH: it exited), 'denied'
 * (EACCES, EPERM) or the error's message.
 */
/**
 * A stat line's fields, as src/os/linux/proc-pid.ts's parseProcStat gives them and as the native
 * reader gives them where it parses the line itself (parsedStat).
 */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  ttyNr: number;
  /** Field 9: the kernel's per-process flags (PF_*); PF_KTHREAD marks a kernel thread. */
  flags: number;
  utimeTicks: number;
  stimeTicks: number;
  /** Field 22: start time in clock ticks since boot. */
  startTicks: number;
  rssPages: number;
}

export interface RawProc {
  /**
   * /proc/PID/stat, or null when it could not be read (statError says why) or when the native
   * reader parsed it (statState is then non-zero: the numbers are in statNums, the comm in comm).
   */
  stat: string | null;
  statError: string | null;
  /** /proc/PID/cmdline; not read for a kernel thread (PF_KTHREAD in stat) or when stat failed. */
  cmdline: string | null;
  cmdlineError: string | null;
  /**
   * stat's numbers as the native reader parsed them, on its thread (parsedStat() makes them the
   * ProcStat that parseProcStat(stat) would give: it parses only plain lines, and leaves the rest to
   * that parser): the reply's shared column, this record's place in it, and the state letter's
   * code (0: not parsed). Absent from the JavaScript pass. Kept as numbers, not as an object per
   * record: what a census holds on to, the garbage collector copies.
   */
  statNums?: Float64Array;
  statAt?: number;
  statState?: number;
  /** The comm of a stat line the native reader parsed (the text between its first "(" and last ")"). */
  comm?: string;
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
  /** How many pids the native reader read (for the benchmarks and the tests). */
  nativePids: number;
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
  // that does not parse is read on; the census's parser reports it. Digits only, as the native
  // reader reads them (is_kernel_thread): a "-1" there is no flag word.
  let k = stat.lastIndexOf(')') + 2;
  for (let f = 3; f < 9 && k > 1; f++) k = stat.indexOf(' ', k) + 1;
  const c = stat.charCodeAt(k);
  if (k > 1 && c >= 48 && c <= 57 && (parseInt(stat.slice(k, k + 12), 10) & 0x00200000) !== 0) return r;
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

// ---- The native reader (native/proc-scan.c). ----

/** What native/proc-scan.c's collect() returns: one entry per pid it listed, column by column. */
interface NativeReply {
  /** errno of listing the proc root; 0 when listed. */
  listError: number;
  pids: Int32Array;
  /** null where the reader parsed the line (statState): its comm is in `comm` then, its numbers in statNums. */
  stat: (string | null)[];
  comm: (string | null)[];
  /** errno, 0 when read; statCall: the call that failed (0 open, 1 read). */
  statError: Int32Array;
  statCall: Int32Array;
  cmdline: (string | null)[];
  cmdlineError: Int32Array;
  cmdlineCall: Int32Array;
  /** The number of links kept; -1 the fd table was not read (kernel thread, gone), -2 it could not be listed (fdError). */
  nfds: Int32Array;
  fdError: Int32Array;
  /** Every kept link, pid after pid. */
  fds: Int32Array;
  targets: string[];
  /** The state letter's code where the reader parsed stat (parse_stat), else 0. */
  statState: Int32Array;
  /** STAT_NUMS (10) per pid, where parsed: the pid, then fields 4-7, 9, 14, 15, 22 and 24. */
  statNums: Float64Array;
}

interface NativeModule {
  start(prefix: string, threads: number): object;
  collect(handle: object): NativeReply;
}

/** Where the native reader was loaded from, or why it was not. */
export type NativeStatus = { loaded: true; path: string } | { loaded: false; reason: string };

let nativeModule: NativeModule | null | undefined;
let nativeState: NativeStatus = { loaded: false, reason: 'not looked for yet' };

/** The file `npm run build` writes for this platform and architecture (scripts/build-native.mjs). */
export const NATIVE_FILE = `proc-scan-${process.platform}-${process.arch}.node`;

/**
 * The native reader, loaded once: dist/native/NATIVE_FILE, found from this module's place (the
 * library's dist/host/, the CLI's bundles in dist/cli/ and dist/cli/commands/, or the source tree's
 * src/host/ in the tests). Null when turned off (RERUN_DOCTOR_NATIVE=0), not built here, or not
 * loadable (built against a newer libc, say): the census then reads in JavaScript.
 */
export function nativeScan(env: NodeJS.ProcessEnv = process.env): NativeModule | null {
  if (env.RERUN_DOCTOR_NATIVE === '0') return null;
  if (nativeModule !== undefined) return nativeModule;
  nativeModule = null;
  if (process.platform !== 'linux') {
    nativeState = { loaded: false, reason: `no native reader for ${process.platform}` };
    return null;
  }
  nativeState = { loaded: false, reason: `${NATIVE_FILE} not built (npm run build)` };
  for (const rel of ['../native/', '../../native/', '../../dist/native/']) {
    const file = fileURLToPath(new URL(rel + NATIVE_FILE, import.meta.url));
    if (!existsSync(file)) continue;
    try {
      const m = createRequire(import.meta.url)(file) as NativeModule;
      if (typeof m.start === 'function' && typeof m.collect === 'function') {
        nativeModule = m;
        nativeState = { loaded: true, path: file };
      } else nativeState = { loaded: false, reason: `${file}: not the proc scan` };
    } catch (e) {
      nativeState = { loaded: false, reason: `${file}: ${(e as Error).message.split('\n')[0]}` };
    }
    break;
  }
  return nativeModule;
}

/** Whether the census reads with the native reader here, and from where, or why not. */
export function nativeScanStatus(env: NodeJS.ProcessEnv = process.env): NativeStatus {
  if (env.RERUN_DOCTOR_NATIVE === '0') return { loaded: false, reason: 'turned off (RERUN_DOCTOR_NATIVE=0)' };
  nativeScan(env);
  return nativeState;
}

/** One native thread per core, at most 4 (procfs reads of more threads contend); 1 with RERUN_DOCTOR_THREADS=1. */
function nativeThreads(env: NodeJS.ProcessEnv): number {
  return parallelWanted(env) ? Math.min(availableParallelism(), 4) : 1;
}

let errnoMap: Map<number, [string, string]> | null = null;

/**
 * A native read's errno as scanPid's error text: 'gone', 'denied', or the message Node's fs would
 * give (`EISDIR: illegal operation on a directory, read`; an open names its path, a read of a
 * descriptor does not).
 */
function nativeError(errno: number, call: 0 | 1, path: string): string {
  errnoMap ??= (createRequire(import.meta.url)('node:util') as typeof import('node:util')).getSystemErrorMap();
  const [code, desc] = errnoMap.get(-errno) ?? [`errno ${errno}`, 'unknown error'];
  return readError({ code, message: call === 0 ? `${code}: ${desc}, open '${path}'` : `${code}: ${desc}, read` });
}

/**
 * The native reader's parse of a record's stat as parseProcStat's ProcStat (the same fields, in
 * its order); null where it did not parse it (the JavaScript pass, an odd line): parse the text.
 */
export function parsedStat(raw: RawProc): ProcStat | null {
  const state = raw.statState;
  const v = raw.statNums;
  if (!state || v === undefined || raw.comm === undefined) return null;
  const at = raw.statAt!;
  return {
    pid: v[at]!,
    comm: raw.comm,
    state: String.fromCharCode(state),
    ppid: v[at + 1]!,
    pgid: v[at + 2]!,
    sid: v[at + 3]!,
    ttyNr: v[at + 4]!,
    flags: v[at + 5]!,
    utimeTicks: v[at + 6]!,
    stimeTicks: v[at + 7]!,
    startTicks: v[at + 8]!,
    rssPages: v[at + 9]!,
  };
}

/** A started native read: the pass of one proc root. */
interface NativeJob {
  prefix: string;
  module: NativeModule;
  handle: object;
}

function startNative(prefix: string, env: NodeJS.ProcessEnv): NativeJob | null {
  const module = nativeScan(env);
  if (!module) return null;
  try {
    return { prefix, module, handle: module.start(prefix, nativeThreads(env)) };
  } catch {
    return null;
  }
}

/**
 * What the native reader read, for the pids of `pids` (the census's listing; null: the reader's
 * own, ascending), as scanPid's records, in that order; a pid the reader did not list (born since)
 * is read by `here`. Null when it could not list the root (the census then reads it all here).
 */
function collectNative(job: NativeJob, pids: readonly number[] | null, here: (pid: number) => RawProc): { procs: Map<number, RawProc>; nativePids: number } | null {
  let m: NativeReply;
  try {
    m = job.module.collect(job.handle);
  } catch {
    return null;
  }
  if (m.listError !== 0) return null;
  const linkAt = new Int32Array(m.pids.length);
  let f = 0;
  let ascending = true;
  for (let k = 0; k < m.pids.length; k++) {
    linkAt[k] = f;
    if (m.nfds[k]! > 0) f += m.nfds[k]!;
    if (k > 0 && m.pids[k]! <= m.pids[k - 1]!) ascending = false;
  }
  // The reader's own listing, in its order where that is ascending (procfs lists pids so): each
  // pid's place is its index. Else (the census's listing, or another order) by a map of places.
  let at: Map<number, number> | null = null;
  let order: ArrayLike<number> = m.pids;
  if (pids !== null || !ascending) {
    at = new Map<number, number>();
    for (let k = 0; k < m.pids.length; k++) at.set(m.pids[k]!, k);
    order = pids ?? Array.from(m.pids).sort((a, b) => a - b);
  }
  const procs = new Map<number, RawProc>();
  const base = job.prefix;
  let nativePids = 0;
  for (let i = 0; i < order.length; i++) {
    const pid = order[i]!;
    const k = at ? at.get(pid) : i;
    if (k === undefined) {
      procs.set(pid, here(pid));
      continue;
    }
    nativePids++;
    const n = m.nfds[k]!;
    const se = m.statError[k]!;
    const ce = m.cmdlineError[k]!;
    const fe = m.fdError[k]!;
    const stat = m.stat[k] ?? null;
    const raw: RawProc = {
      stat,
      statError: se === 0 ? null : nativeError(se, m.statCall[k] === 0 ? 0 : 1, `${base}${pid}/stat`),
      cmdline: ce === 0 ? (m.cmdline[k] ?? null) : null,
      cmdlineError: ce === 0 ? null : nativeError(ce, m.cmdlineCall[k] === 0 ? 0 : 1, `${base}${pid}/cmdline`),
      fds: n >= 0 ? Array.from(m.fds.subarray(linkAt[k]!, linkAt[k]! + n)) : null,
      targets: n >= 0 ? m.targets.slice(linkAt[k]!, linkAt[k]! + n) : null,
      // As readError's 'denied' (the reader runs on Linux only: EACCES 13, EPERM 1).
      fdDenied: n === -2 && (fe === 13 || fe === 1),
    };
    raw.statNums = m.statNums;
    raw.statAt = k * 10;
    raw.statState = se === 0 ? m.statState[k]! : 0;
    const comm = m.comm[k];
    if (raw.statState !== 0 && typeof comm === 'string') raw.comm = comm;
    procs.set(pid, raw);
  }
  return { procs, nativePids };
}

// ---- End of the native reader. ----

// A pass started at the CLI's very start (bin.ts), before the command's module is even loaded
// (native threads, or else a worker), waiting for the census that adopts it. One per process: a
// later census starts its own.
const PRESTARTED = Symbol.for('rerun-doctor.proc-scan.prestarted');
type Prestarted = { kind: 'native'; prefix: string; job: NativeJob } | { kind: 'worker'; prefix: string; helper: Helper };
type Registry = { [PRESTARTED]?: Prestarted };

/** Whether a worker pays here: a second core, and not turned off (RERUN_DOCTOR_THREADS=1). */
export function parallelWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return availableParallelism() > 1 && env.RERUN_DOCTOR_THREADS !== '1';
}

/**
 * Starts the pass now, for the census this process is about to take under `prefix` (the CLI
 * calls it first thing for the commands that take one): the native reader's threads, or else (with
 * a second core) the worker. Harmless if no census comes: neither is ever waited for, nor holds the
 * process open.
 */
export function prestartProcScan(prefix: string, env: NodeJS.ProcessEnv = process.env): void {
  const g = globalThis as Registry;
  if (g[PRESTARTED]) return;
  const job = startNative(prefix, env);
  if (job) {
    g[PRESTARTED] = { kind: 'native', prefix, job };
    return;
  }
  if (!parallelWanted(env)) return;
  const h = startHelper(prefix);
  if (h) g[PRESTARTED] = { kind: 'worker', prefix, helper: h };
}

/** The pids among a proc root's names, ascending (probes/processes.linux.ts's listPids too). */
export function pidsOf(names: readonly string[]): number[] {
  const pids: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      const pid = Number(name);
      if (Number.isInteger(pid)) pids.push(pid);
    }
  }
  return pids.sort((a, b) => a - b);
}

/** The pids under a proc root, ascending. Throws the fs error. */
function listRoot(prefix: string): number[] {
  return pidsOf(readdirSync(prefix));
}

function resultOf(procs: Map<number, RawProc>, workerPids: number, nativePids = 0): ProcScanResult {
  const links = new Map<number, FdLinks>();
  const denied: number[] = [];
  for (const [pid, r] of procs) {
    if (r.fds !== null) links.set(pid, { fds: r.fds, targets: r.targets! });
    else if (r.fdDenied) denied.push(pid);
  }
  return { procs, links, denied: denied.sort((a, b) => a - b), workerPids, nativePids };
}

/**
 * Starts the pass over `listed` under `prefix` (a proc root ending in "/"); null: over the pids the
 * pass lists itself (the native reader's listing, taken at its start, else one made now: a
 * listing that fails throws, here or from finish()). The native reader, when
 * there is one (`native: false` turns it off for this pass): one prestarted for this prefix
 * (prestartProcScan), else one started now. Without it, with `parallel` (default: a second core
 * and at least PARALLEL_MIN_PIDS pids; RERUN_DOCTOR_THREADS=1 turns it off) a worker thread takes
 * part, prestarted or started now. Call finish() when this thread is free.
 */
export function startProcScan(prefix: string, listed: readonly number[] | null, opts: { parallel?: boolean; native?: boolean; env?: NodeJS.ProcessEnv } = {}): ProcScanJob {
  const env = opts.env ?? process.env;
  const g = globalThis as Registry;
  const preAny = g[PRESTARTED]?.prefix === prefix ? g[PRESTARTED]! : null;
  if (preAny) delete g[PRESTARTED];
  // A prestarted native pass carries its module: adopted even where this copy of the module (a
  // command's bundle) would look for the file elsewhere.
  let nativeJob: NativeJob | null = null;
  if (opts.native !== false) nativeJob = preAny?.kind === 'native' ? preAny.job : startNative(prefix, env);
  // A prestarted pass of the other kind is dropped (a native one's threads end by themselves).
  let pre = preAny?.kind === 'worker' ? preAny.helper : null;
  if (nativeJob && pre) {
    void pre.worker.terminate();
    pre = null;
  }
  // Without the native reader, the listing is made now (the worker's share depends on it).
  const pids: readonly number[] | null = listed ?? (nativeJob ? null : listRoot(prefix));
  const parallel = !nativeJob && (opts.parallel ?? (pre !== null || ((pids?.length ?? 0) >= PARALLEL_MIN_PIDS && parallelWanted(env))));
  let helper: Helper | null = null;
  if (parallel) helper = pre ?? startHelper(prefix);
  else if (pre) void pre.worker.terminate();
  const box = (hereBox ??= { buf: Buffer.allocUnsafe(64 * 1024) });
  const here = (pid: number) => scanPid(FS, prefix, pid, box);
  return {
    async finish() {
      if (nativeJob) {
        const read = collectNative(nativeJob, pids, here);
        if (read) return resultOf(read.procs, 0, read.nativePids);
      }
      // The native reader could not list the root: the listing is made here.
      const list = pids ?? listRoot(prefix);
      const procs = new Map<number, RawProc>();
      if (!helper) {
        for (const pid of list) procs.set(pid, here(pid));
        return resultOf(procs, 0);
      }
      const { claimed, worker, reply } = helper;
      const theirs: number[] = [];
      for (const pid of list) {
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
