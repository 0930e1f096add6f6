// A deadline timer that lets received bytes speak first.
//
// The census next to a health check (`ports` starts the check, then takes the census) reads /proc
// synchronously and so blocks the event loop, for hundreds of milliseconds with thousands of
// processes. A deadline that passes meanwhile fires in the timers phase, before the poll phase
// reads what the peer sent in the same interval: a server that answered in a millisecond would be
// judged silent. So the verdict runs one setImmediate later, after the poll phase has read every
// socket that is readable, and is dropped if an answer settled the check first (the caller's
// `fire` checks that).

/** Calls `fire` after `ms`, once pending I/O has been read. The returned function cancels it. */
export function lateTimer(ms: number, fire: () => void): () => void {
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(fire);
  }, Math.max(0, ms));
  return () => {
    clearTimeout(timer);
    if (immediate !== undefined) clearImmediate(immediate);
  };
}
