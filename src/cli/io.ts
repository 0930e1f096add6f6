// Output goes through an injected io so commands are testable; only main.ts exits.
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  cwd: string;
  columns: number | undefined;
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
    stdinIsTTY: Boolean(process.stdin.isTTY),
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

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org). */
export function useColor(io: Io): boolean {
  return io.isTTY && !('NO_COLOR' in io.env && io.env.NO_COLOR !== '') && io.env.TERM !== 'dumb';
}
