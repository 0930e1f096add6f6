// The fd scan (every /proc/PID/fd link of every process: who owns each socket, which pipes tie
// which processes) shared between this thread and one worker thread. It is the larger half of a
// census's cost and all of it is system calls, so on a machine with a second core the worker
// scans while this thread reads stat and cmdline, then this thread takes whatever is left (issue
// 12; docs/benchmarks.md). Each pid is claimed in a shared bitmap (Atomics.or), so neither side
// waits for the other and none is scanned twice: a worker slow to start claims little or nothing,
// and this thread then scans the rest, as a census without a worker would. The CLI starts the
// worker first thing (prestartFdScan), so its start-up overlaps the command's own.
// Only sockets and pipes are kept: the rest of the links (files, ttys) are never read from it.
import { availableParallelism } from 'node:os';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Worker as WorkerType } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { translateFsError, AccessDenied } from './errors.js';

/** The socket and pipe links of one process's fd table. */
export interface FdLinks {
  fds: number[];
  targets: string[];
}

export interface FdScanResult {
  /** By pid: its socket: and pipe: links. A pid whose table could not be read is absent. */
  links: Map<number, FdLinks>;
  /** Pids whose fd table was not readable (another user's, without root). */
  denied: number[];
  /** Whether a worker thread took part (for the benchmarks and the probe's report). */
  workerPids: number;
}

export interface FdScanJob {
  /** Scans, on this thread, every pid nobody has claimed yet, then waits for the worker's share. */
  finish(): Promise<FdScanResult>;
}

/** Pids above this (Linux's PID_MAX_LIMIT on 64-bit) are scanned here, never claimed in the bitmap. */
const PID_LIMIT = 4194304;

/** Below this many processes a worker's start (a new V8 isolate, 10-30 ms) costs more than it saves. */
export const PARALLEL_MIN_PIDS = 400;

const keep = (t: string): boolean => t.startsWith('socket:') || t.startsWith('pipe:');

/** One pid's fd table, sockets and pipes only; null: gone. Throws AccessDenied. */
function scanOne(prefix: string, pid: number): FdLinks | null {
  const dir = `${prefix}${pid}/fd/`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const err = translateFsError(e, dir);
    if (err instanceof AccessDenied) throw err;
    return null;
  }
  const fds: number[] = [];
  const targets: string[] = [];
  for (const name of names) {
    let t: string;
    try {
      t = readlinkSync(dir + name);
    } catch {
      continue; // closed since the listing
    }
    if (keep(t)) {
      fds.push(Number(name));
      targets.push(t);
    }
  }
  return { fds, targets };
}

// The worker's code, evaluated as a CommonJS script (Worker's `eval`): no module file to find,
// bundled or not. It lists the proc root itself (so it can start before the census has its list:
// prestartFdScan), claims each pid in the shared bitmap (Atomics.or: the first side to set a
// pid's bit scans it), and posts what it read.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readdirSync, readlinkSync } = require('node:fs');
const { prefix, shared } = workerData;
const claimed = new Int32Array(shared);
const pidsOut = [], fdsOut = [], targetsOut = [], denied = [];
let names = [];
try { names = readdirSync(prefix); } catch {}
for (const n of names) {
  const c = n.charCodeAt(0);
  if (c < 48 || c > 57) continue;
  const pid = Number(n);
  if (!(pid > 0 && pid < ${PID_LIMIT})) continue;
  const bit = 1 << (pid & 31);
  if (Atomics.or(claimed, pid >>> 5, bit) & bit) continue;
  const dir = prefix + pid + '/fd/';
  let fds;
  try { fds = readdirSync(dir); } catch (e) { if (e && (e.code === 'EACCES' || e.code === 'EPERM')) denied.push(pid); continue; }
  pidsOut.push(pid, 0);
  let kept = 0;
  for (const name of fds) {
    let t;
    try { t = readlinkSync(dir + name); } catch { continue; }
    if (t.startsWith('socket:') || t.startsWith('pipe:')) { fdsOut.push(Number(name)); targetsOut.push(t); kept++; }
  }
  pidsOut[pidsOut.length - 1] = kept;
}
parentPort.postMessage({ pidsOut, fdsOut, targetsOut, denied });
`;

interface WorkerReply {
  pidsOut: number[];
  fdsOut: number[];
  targetsOut: string[];
  denied: number[];
}

const lazyWorker = (): typeof import('node:worker_threads').Worker => (createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')).Worker;

/** A worker scanning under a prefix, and the bitmap of the pids claimed by either side. */
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
      // A worker that cannot run (no memory for an isolate, a sandbox): this thread scans every
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
const PRESTARTED = Symbol.for('rerun-doctor.fd-scan.prestarted');
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
export function prestartFdScan(prefix: string): void {
  const g = globalThis as Registry;
  if (g[PRESTARTED] || !parallelWanted()) return;
  const h = startHelper(prefix);
  if (h) g[PRESTARTED] = h;
}

/**
 * Starts the scan of `pids` under `prefix` (a proc root ending in "/"). With `parallel` (default:
 * a second core and at least PARALLEL_MIN_PIDS pids; RERUN_DOCTOR_THREADS=1 turns it off) a worker
 * thread takes part: one prestarted for this prefix (prestartFdScan), else one started now. Call
 * finish() when this thread is free.
 */
export function startFdScan(prefix: string, pids: readonly number[], opts: { parallel?: boolean; env?: NodeJS.ProcessEnv } = {}): FdScanJob {
  const g = globalThis as Registry;
  const pre = g[PRESTARTED]?.prefix === prefix ? g[PRESTARTED]! : null;
  if (pre) delete g[PRESTARTED];
  const parallel = opts.parallel ?? (pre !== null || (pids.length >= PARALLEL_MIN_PIDS && parallelWanted(opts.env ?? process.env)));
  let helper: Helper | null = null;
  if (parallel) helper = pre ?? startHelper(prefix);
  else if (pre) void pre.worker.terminate();
  const links = new Map<number, FdLinks>();
  const denied: number[] = [];
  const scanHere = (pid: number) => {
    try {
      const l = scanOne(prefix, pid);
      if (l) links.set(pid, l);
    } catch {
      denied.push(pid);
    }
  };
  return {
    async finish() {
      if (!helper) {
        for (const pid of pids) scanHere(pid);
        return { links, denied: denied.sort((a, b) => a - b), workerPids: 0 };
      }
      const { claimed, worker, reply } = helper;
      const theirs: number[] = [];
      for (const pid of pids) {
        if (!(pid > 0 && pid < PID_LIMIT)) {
          scanHere(pid);
          continue;
        }
        const bit = 1 << (pid & 31);
        if (Atomics.or(claimed, pid >>> 5, bit) & bit) theirs.push(pid);
        else scanHere(pid);
      }
      if (theirs.length === 0) {
        // It claimed none of ours (still starting): nothing to wait for.
        void worker.terminate();
      } else {
        // Unreferenced until now so that it never holds the process open by itself; waiting on it must.
        worker.ref();
        const m = await reply;
        const wanted = new Set(theirs);
        if (m) {
          let f = 0;
          for (let k = 0; k < m.pidsOut.length; k += 2) {
            const pid = m.pidsOut[k]!;
            const n = m.pidsOut[k + 1]!;
            // Pids the worker listed and this thread did not (born since) are not this census's.
            if (wanted.has(pid)) links.set(pid, { fds: m.fdsOut.slice(f, f + n), targets: m.targetsOut.slice(f, f + n) });
            f += n;
          }
          for (const pid of m.denied) if (wanted.has(pid)) denied.push(pid);
        } else {
          // The worker died with pids claimed: scan those here, so none is missed.
          for (const pid of theirs) scanHere(pid);
        }
      }
      return { links, denied: denied.sort((a, b) => a - b), workerPids: theirs.length };
    },
  };
}
