// Output goes through an injected io so commands are testable; only main.ts exits.
import { colorFlag, decideColor } from './terminal.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  cwd: string;
  /** stdout's columns when it is a terminal (as at start; `size` says them now). */
  columns: number | undefined;
  /** The terminal's size now (it changes when the window is resized). */
  size?: () => { columns: number | undefined; rows: number | undefined };
  /** Calls `listener` when the terminal is resized (SIGWINCH); returns how to stop. */
  onResize?: (listener: () => void) => () => void;
  /** Whether stdin is a terminal a person can answer on. */
  stdinIsTTY?: boolean;
  /** Asks a question on a terminal; resolves with the answer (null at end of input). */
  ask?: (question: string) => Promise<string | null>;
}

export function processIo(): Io {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
    columns: process.stdout.columns,
    size: () => ({ columns: process.stdout.columns, rows: process.stdout.rows }),
    onResize: (listener) => {
      // A TTY WriteStream emits 'resize' on SIGWINCH, its columns and rows already updated.
      process.stdout.on('resize', listener);
      return () => void process.stdout.off('resize', listener);
    },
    // Asked for when it matters (clean's prompt), not at start: process.stdin makes a stream (on
    // /dev/null or a file an fs.ReadStream, which loads fs/promises and readline: 2-3 ms of every
    // command's start, issue 12).
    get stdinIsTTY() {
      return Boolean(process.stdin.isTTY);
    },
    ask: async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } catch {
        return null;
      } finally {
        rl.close();
      }
    },
  };
}

/**
 * Whether to colour: --color/--no-color (the command's parsed flags), else FORCE_COLOR, else
 * NO_COLOR, else TERM=dumb, else whether stdout is a terminal: the one decision, in terminal.ts.
 */
export function useColor(io: Io, values?: { color?: boolean; 'no-color'?: boolean }): boolean {
  return decideColor({ flag: colorFlag(values), env: io.env, isTTY: io.isTTY });
}
