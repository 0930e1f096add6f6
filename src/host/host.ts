// Host is the only code that touches the machine: roots, commands, clock, identity.
import { arch as osArch, hostname as osHostname, release as osRelease, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import type { Platform } from '../model/snapshot.js';
import { createRootedFs, type RootedFs } from './rooted-fs.js';
import { Unavailable } from './errors.js';
import { httpGet, type HttpGetOptions, type HttpResult } from './http.js';
import { runCommand, type CommandResult, type RunCommandOptions } from './run-command.js';
import { createShmDir, type ShmDir } from './shm-dir.js';

export interface Host {
  readonly platform: Platform;
  /** /proc, or a root passed in (`/host/proc` from a container). */
  readonly proc: RootedFs;
  readonly sys: RootedFs;
  /** The root that holds passwd (for user names): /etc, or beside a --proc-root (/host/proc → /host/etc). */
  readonly etc: RootedFs;
  /** The POSIX shared-memory directory: /dev/shm, or beside a --proc-root (/host/proc → /host/dev/shm). */
  readonly shm: ShmDir;
  readonly env: NodeJS.ProcessEnv;
  /** Clock ticks per second for /proc/PID/stat times (USER_HZ; 100 on every Linux ABI we run on). */
  readonly clockTicks: number;
  readonly selfPid: number;
  hostname(): string;
  /** The OS and the Node.js running us, for a bug report: `{ os: 'Linux 6.1.0 x64', node: 'v20.11.0' }`. */
  system(): { os: string; node: string };
  now(): Date;
  run(argv: string[], opts?: Partial<RunCommandOptions>): Promise<CommandResult>;
  /** HTTP GET with a whole-request timeout and a body limit; failures are values. */
  http(url: string, opts: HttpGetOptions): Promise<HttpResult>;
  /** Resolves after ms (the clock, injectable for tests). */
  sleep(ms: number): Promise<void>;
  /** Sends a signal; 'gone' for ESRCH, 'denied' for EPERM. The only code that signals processes. */
  kill(pid: number, signal: NodeJS.Signals): 'ok' | 'gone' | 'denied';
}

export interface HostOptions {
  platform?: Platform;
  procRoot?: string;
  sysRoot?: string;
  etcRoot?: string;
  /** Default: /dev/shm, or `dev/shm` beside a procRoot. */
  shmRoot?: string;
  env?: NodeJS.ProcessEnv;
  clockTicks?: number;
  selfPid?: number;
  now?: () => Date;
  hostname?: string;
  system?: { os: string; node: string };
}

export function detectPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  // RERUN_DOCTOR_PLATFORM lets CI drive the darwin code path on Linux with captured outputs.
  const forced = env.RERUN_DOCTOR_PLATFORM;
  if (forced === 'linux' || forced === 'darwin') return forced;
  if (process.platform === 'darwin') return 'darwin';
  if (process.platform === 'linux') return 'linux';
  throw new Unavailable(`unsupported platform ${process.platform}: rerun-doctor runs on Linux and macOS`);
}

export function createHost(opts: HostOptions = {}): Host {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? detectPlatform(env);
  // User names belong to the inspected system: with /host/proc, its passwd is /host/etc/passwd.
  const procRoot = opts.procRoot ?? '/proc';
  const etcRoot = opts.etcRoot ?? (opts.procRoot ? join(dirname(opts.procRoot.replace(/\/+$/, '')), 'etc') : '/etc');
  // The same for shared memory: a container that mounts the host's root at /host sees /host/dev/shm.
  const shmRoot = opts.shmRoot ?? (opts.procRoot ? join(dirname(opts.procRoot.replace(/\/+$/, '')), 'dev', 'shm') : '/dev/shm');
  return {
    platform,
    proc: createRootedFs(procRoot),
    sys: createRootedFs(opts.sysRoot ?? '/sys'),
    etc: createRootedFs(etcRoot),
    shm: createShmDir(shmRoot),
    env,
    clockTicks: opts.clockTicks ?? 100,
    selfPid: opts.selfPid ?? process.pid,
    hostname: () => opts.hostname ?? osHostname(),
    system: () => opts.system ?? { os: `${osType()} ${osRelease()} ${osArch()}`, node: process.version },
    now: opts.now ?? (() => new Date()),
    run: (argv, o) => runCommand(argv, { env: o?.env ?? env, timeoutMs: o?.timeoutMs, maxBuffer: o?.maxBuffer }),
    http: httpGet,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    kill: (pid, signal) => {
      try {
        process.kill(pid, signal);
        return 'ok';
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'denied' : 'gone';
      }
    },
  };
}
