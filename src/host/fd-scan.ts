// The fd scan (every /proc/PID/fd link of every process: who owns each socket, which pipes tie
// which processes) shared between this thread and one worker thread. It is the larger half of a
// census's cost and all of it is system calls, so on a machine with a second core the worker
// takes pids while this thread reads stat and cmdline, then this thread takes whatever is left
// (issue 12; docs/benchmarks.md). Work is handed out one pid at a time through a shared counter
// (Atomics.add), so neither side waits for the other: a worker slow to start (a busy machine)
// claims nothing, and this thread then scans everything, as a census without a worker would.
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
// bundled or not. It claims pids from the shared counter until none are left, and posts what it read.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readdirSync, readlinkSync } = require('node:fs');
const { prefix, pids, shared } = workerData;
const next = new Int32Array(shared);
const pidsOut = [], fdsOut = [], targetsOut = [], denied = [];
for (;;) {
  const i = Atomics.add(next, 0, 1);
  if (i >= pids.length) break;
  const pid = pids[i];
  const dir = prefix + pid + '/fd/';
  let names;
  try { names = readdirSync(dir); } catch (e) { if (e && (e.code === 'EACCES' || e.code === 'EPERM')) denied.push(pid); continue; }
  pidsOut.push(pid, names.length);
  let kept = 0;
  for (const name of names) {
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

/**
 * Starts the scan of `pids` under `prefix` (a proc root ending in "/"). With `parallel` (default:
 * a second core and at least PARALLEL_MIN_PIDS pids; RERUN_DOCTOR_THREADS=1 turns it off) a worker
 * thread starts at once and begins claiming pids; call finish() when this thread is free.
 */
export function startFdScan(prefix: string, pids: readonly number[], opts: { parallel?: boolean; env?: NodeJS.ProcessEnv } = {}): FdScanJob {
  const parallel = opts.parallel ?? (pids.length >= PARALLEL_MIN_PIDS && availableParallelism() > 1 && (opts.env ?? process.env).RERUN_DOCTOR_THREADS !== '1');
  const shared = new SharedArrayBuffer(4);
  const next = new Int32Array(shared);
  let worker: WorkerType | null = null;
  let reply: Promise<WorkerReply | null> = Promise.resolve(null);
  if (parallel) {
    try {
      const Worker = lazyWorker();
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { prefix, pids: Int32Array.from(pids), shared }, stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: 128 } });
      worker = w;
      reply = new Promise((resolve) => {
        w.once('message', (m: WorkerReply) => resolve(m));
        // A worker that cannot run (no memory for an isolate, a sandbox): this thread has scanned,
        // or will scan, every pid the worker did not claim, and a claimed one it cannot see again.
        w.once('error', () => resolve(null));
        w.once('exit', () => resolve(null));
      });
      w.unref();
    } catch {
      worker = null;
    }
  }
  const links = new Map<number, FdLinks>();
  const denied: number[] = [];
  const mine = new Set<number>();
  return {
    async finish() {
      for (;;) {
        const i = Atomics.add(next, 0, 1);
        if (i >= pids.length) break;
        const pid = pids[i]!;
        mine.add(i);
        try {
          const l = scanOne(prefix, pid);
          if (l) links.set(pid, l);
        } catch {
          denied.push(pid);
        }
      }
      let workerPids = 0;
      if (worker) {
        // Every index below the counter's final value was claimed by one side; those not ours are the worker's.
        const claimed = Math.min(Atomics.load(next, 0), pids.length);
        workerPids = claimed - mine.size;
        if (workerPids === 0) {
          // It claimed nothing (still starting): nothing to wait for.
          void worker.terminate();
        } else {
          // Unreferenced until now so that it never holds the process open by itself; waiting on it must.
          worker.ref();
          const m = await reply;
          if (m) {
            let f = 0;
            for (let k = 0; k < m.pidsOut.length; k += 2) {
              const pid = m.pidsOut[k]!;
              const n = m.pidsOut[k + 1]!;
              links.set(pid, { fds: m.fdsOut.slice(f, f + n), targets: m.targetsOut.slice(f, f + n) });
              f += n;
            }
            denied.push(...m.denied);
          } else {
            // The worker died with pids claimed: scan those here, so none is missed.
            for (let i = 0; i < claimed; i++) {
              if (mine.has(i)) continue;
              const pid = pids[i]!;
              try {
                const l = scanOne(prefix, pid);
                if (l) links.set(pid, l);
              } catch {
                denied.push(pid);
              }
            }
          }
        }
      }
      return { links, denied: denied.sort((a, b) => a - b), workerPids };
    },
  };
}
