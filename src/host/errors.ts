// Typed errors, translated from errno once, here (psutil's wrap_exceptions idea, psutil#503).

export class ProcessGone extends Error {
  override readonly name = 'ProcessGone';
}
export class AccessDenied extends Error {
  override readonly name = 'AccessDenied';
}
export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(`${source}: ${message}`);
  }
}

/** errno → typed error for reads under /proc/PID: a vanished process is data, not a failure. */
export function translateFsError(err: unknown, path: string): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ESRCH') return new ProcessGone(`${path}: gone`);
  if (code === 'EACCES' || code === 'EPERM') return new AccessDenied(`${path}: access denied`);
  return err instanceof Error ? err : new Error(String(err));
}
