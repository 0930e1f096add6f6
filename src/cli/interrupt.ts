// Ctrl-C and SIGTERM during a command that started processes: the command's action is aborted,
// ends what it started, and rejects with Interrupted (exit 130, src/cli/main.ts). Actions never
// install signal handlers or exit themselves.
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const stop = (sig: NodeJS.Signals) => ac.abort(sig);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(ac.signal);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
