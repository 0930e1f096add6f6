// A monotonic clock in milliseconds, for durations. process.hrtime.bigint() is Node's own clock
// (the one performance.now() reads) without the `performance` global, whose first use loads
// perf_hooks and its timing modules: about a millisecond of every census command's start (issue 12).
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
