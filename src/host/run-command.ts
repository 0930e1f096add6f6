// Commands run as argv arrays, never a shell string; every child is waited for
// (an unreaped /bin/ps filled a macOS process table: oh-my-openagent#8096).
import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when killed by a signal or timeout. */
  code: number | null;
  /** Set when the command could not be started at all (ENOENT: not installed). */
  notFound: boolean;
  timedOut: boolean;
}

export interface RunCommandOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxBuffer?: number;
}

export function runCommand(argv: string[], opts: RunCommandOptions): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: opts.env, timeout: opts.timeoutMs ?? 10_000, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string }) | null;
        if (e && e.code === 'ENOENT') {
          resolve({ stdout: '', stderr: String(e.message), code: null, notFound: true, timedOut: false });
          return;
        }
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        resolve({ stdout, stderr, code, notFound: false, timedOut: Boolean(e?.killed && e.signal === 'SIGTERM' && code === null) });
      },
    );
  });
}
