// The watchdog of `rerun-doctor run`: a separate process that ends the run's tree if the
// supervisor dies without doing it (SIGKILL, OOM killer), within about 2 s.
// argv: RUN_ID SUPERVISOR_PID SUPERVISOR_START_KEY GRACE_MS PROC_ROOT. Its stdin is a pipe from the
// supervisor: "pgid N" names the command's group; "done" (or SIGTERM) means the supervisor
// cleaned up itself and the watchdog exits without ending anything. EOF without "done" means the
// supervisor died; polling its pid every 250 ms covers the case where the pipe says nothing.
import { createHost } from '../host/host.js';
import { endRun, findRunProcesses, sameProcess, type ProcHost } from './supervise.js';

/** SIGTERM to SIGKILL: short, because the run's owner is already gone and the 2 s promise counts. */
const WATCHDOG_GRACE_MS = 1000;
const POLL_MS = 250;

async function watch(argv: string[]): Promise<number> {
  const [runId, supPid, supStart, , procRoot] = argv;
  if (!runId || !supPid || !supStart || !procRoot) return 2;
  const host: ProcHost = createHost({ procRoot, platform: process.platform === 'darwin' ? 'darwin' : 'linux' });
  const supervisor = { pid: Number(supPid), startKey: Number(supStart) };
  const state = { pgid: null as number | null, done: false, eof: false };

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
      const m = /^pgid (\d+)$/.exec(line);
      if (m) state.pgid = Number(m[1]);
      else if (line === 'done') state.done = true;
    }
  });
  process.stdin.on('end', () => (state.eof = true));
  process.stdin.on('error', () => (state.eof = true));

  for (;;) {
    if (state.done) return 0;
    // On Linux the start time tells a reused pid apart; on macOS (no /proc) only kill(pid, 0).
    const alive = host.platform === 'linux' ? sameProcess(host, supervisor) : pidExists(supervisor.pid);
    if (!alive) break;
    await host.sleep(state.eof ? 50 : POLL_MS);
  }
  if (state.done) return 0;
  process.stdin.destroy();
  await endRun(host, () => findRunProcesses(host, runId, state.pgid), WATCHDOG_GRACE_MS);
  return 0;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.exitCode = await watch(process.argv.slice(2));
// stdin may still be open (the supervisor's end of the pipe lives on in nothing, but be sure).
process.exit();
