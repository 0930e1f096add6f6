// The one way the actions start a long-lived process: as the leader of its own process group
// (Node's `detached: true` calls setsid(2): a new session and group whose id is the child's pid),
// so the whole group can be signalled as a terminal would, and found again by its group id.
// Optionally with the run marker, which every descendant inherits through fork and exec.
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { childProcess, crypto } from '../../host/builtins.js';
import type { OwnChild } from './signal.js';

/** The variable every descendant of a `run`/`guard` command inherits. Its value is a comma-separated list of run ids, so a `run` inside a `run` stays reachable by both. */
export const RUN_ID_VAR = 'RERUN_DOCTOR_RUN_ID';

export function newRunId(): string {
  return crypto().randomBytes(8).toString('hex');
}

/** The child's environment: the caller's, with this run's id added to any outer run's ids. */
export function markedEnv(env: NodeJS.ProcessEnv, runId: string): NodeJS.ProcessEnv {
  const outer = env[RUN_ID_VAR];
  return { ...env, [RUN_ID_VAR]: outer ? `${outer},${runId}` : runId };
}

/** True when a NUL-separated environ block holds RUN_ID_VAR with runId among its ids. */
export function environCarries(environ: string, runId: string): boolean {
  const key = `${RUN_ID_VAR}=`;
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(key) && entry.slice(key.length).split(',').includes(runId)) return true;
  }
  return false;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedGroup extends OwnChild {
  child: ChildProcess;
  /** Its pid, which is also its process group's id and its session's id. */
  pid: number;
  exited: Promise<ExitInfo>;
}

export interface SpawnGroupOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  stdio: StdioOptions;
  /** A run id: the child's environment gets it (markedEnv). */
  marker?: string;
  /** Neither the child nor its stdio pipes keep this process alive (the watchdog). */
  unref?: boolean;
}

/** Starts argv as a group leader. Resolves once it runs; rejects when it cannot be started (ENOENT, EACCES). */
export function spawnGroup(argv: readonly string[], opts: SpawnGroupOptions): Promise<SpawnedGroup> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('spawnGroup: empty argv'));
  return new Promise((resolve, reject) => {
    const env = opts.marker ? markedEnv(opts.env, opts.marker) : opts.env;
    const child = childProcess().spawn(file, args, { cwd: opts.cwd, env, detached: true, stdio: opts.stdio });
    const exited = new Promise<ExitInfo>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    child.once('error', reject);
    child.once('spawn', () => {
      // Later errors (a failed kill, a closed pipe) are not failures to start; never let them throw.
      child.on('error', () => undefined);
      if (opts.unref) {
        child.unref();
        for (const s of child.stdio) (s as { unref?: () => void } | null)?.unref?.();
      }
      // Node sets exitCode or signalCode when it has reaped the child (the 'exit' event).
      resolve({ child, pid: child.pid!, exited, unreaped: () => child.exitCode === null && child.signalCode === null });
    });
  });
}
