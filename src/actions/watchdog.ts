// The watchdog of `rerun-doctor run`: a separate process that ends the run's tree if the
// supervisor dies without doing it (SIGKILL, OOM killer), within about 2 s.
// argv: RUN_ID SUPERVISOR_PID SUPERVISOR_START_KEY GRACE_MS PROC_ROOT [PLATFORM]. Its stdin is a
// pipe from the supervisor: "leader PID START" and "pgid N" name the command and its group, "ref
// PID START" a process the supervisor found to be the run's (on macOS the only way to know one
// that left the group); "done" (or SIGTERM) means the supervisor cleaned up itself and the watchdog
// exits without ending anything. EOF without "done" means the supervisor died; polling its identity
// (pid + start time) covers the case where the pipe says nothing.
import { createHost } from '../host/host.js';
import type { Platform } from '../model/snapshot.js';
import { checkSame, createRunFinder } from './process-control.js';
import { endRun } from './supervise.js';

/** SIGTERM to SIGKILL: short, because the run's owner is already gone and the 2 s promise counts. */
const WATCHDOG_GRACE_MS = 1000;
/** Linux reads one /proc file per poll; macOS starts a ps, so it polls less (EOF is the fast path). */
const POLL_MS: Record<Platform, number> = { linux: 250, darwin: 1000 };

async function watch(argv: string[]): Promise<number> {
  const [runId, supPid, supStart, , procRoot, platformArg] = argv;
  if (!runId || !supPid || !supStart || !procRoot) return 2;
  const platform: Platform = platformArg === 'darwin' || platformArg === 'linux' ? platformArg : process.platform === 'darwin' ? 'darwin' : 'linux';
  const host = createHost({ procRoot, platform });
  const supervisor = { pid: Number(supPid), startKey: Number(supStart) };
  const finder = createRunFinder(host, { runId, leader: null, pgid: null });
  const state = { done: false, eof: false };

  // It lives in its own session, so terminal signals do not reach it; ignore them if sent anyway.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', () => {
    state.done = true;
  });
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      const m = /^(pgid|leader|ref) (\d+)(?: (\d+))?$/.exec(line);
      if (m?.[1] === 'pgid') finder.setScope({ pgid: Number(m[2]) });
      else if (m?.[1] === 'leader' && m[3]) finder.setScope({ leader: { pid: Number(m[2]), startKey: Number(m[3]) } });
      else if (m?.[1] === 'ref' && m[3]) finder.remember([{ pid: Number(m[2]), startKey: Number(m[3]) }]);
      else if (line === 'done') state.done = true;
    }
  });
  process.stdin.on('end', () => (state.eof = true));
  process.stdin.on('error', () => (state.eof = true));

  for (;;) {
    if (state.done) return 0;
    const s = await checkSame(host, supervisor);
    // 'denied': cannot tell, so alive. A start key of -1 (unreadable at start): only "gone" counts.
    const alive = s === 'same' || s === 'denied' || (supervisor.startKey < 0 && s === 'changed');
    if (!alive) break;
    await host.sleep(state.eof ? 50 : POLL_MS[platform]);
  }
  if (state.done) return 0;
  process.stdin.destroy();
  await endRun(host, () => finder.sweep(), WATCHDOG_GRACE_MS);
  return 0;
}

// Not a top-level await: the bundled watchdog is CommonJS (scripts/bundle.mjs).
void watch(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // stdin may still be open (the supervisor's end of the pipe lives on in nothing, but be sure).
  process.exit();
});
