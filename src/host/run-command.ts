// Commands run as argv arrays, never a shell string; every child is waited for
// (an unreaped /bin/ps filled a macOS process table: oh-my-openagent#8096).
import { childProcess } from './builtins.js';

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
    childProcess().execFile(
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

/** The first line of a command's output, for one-line messages. */
export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/**
 * Why a command failed, in one line: timed out, killed, or its exit status with the first line it
 * printed (stderr, else stdout: nvidia-smi prints its errors on stdout).
 */
export function describeCommandFailure(res: CommandResult): string {
  if (res.timedOut) return 'timed out';
  const status = res.code === null ? 'killed by a signal' : `exit status ${res.code}`;
  const why = firstLine(res.stderr) || firstLine(res.stdout);
  return why ? `${status}: ${why}` : status;
}
