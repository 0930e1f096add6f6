// rerun-doctor run, with real processes: setsid and double-fork escapees are ended when the
// command exits; a SIGKILLed rerun-doctor leaves no survivor (the watchdog); exit codes and
// signals pass through. Cleanup is by process group and pid, never by name.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { alive, CLI, PYTHON, runCli, waitFor } from '../helpers/live.js';
import { escapeFixtures } from '../helpers/escape.js';

const fx = escapeFixtures('rd-run');
const { tracked, groups, escape, pidFile, readPids } = fx;
after(() => fx.done());

function startCli(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  tracked.add(child.pid!);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, exited, stderr: () => err };
}

/** The watchdog: rerun-doctor's child that runs watchdog.js. */
function watchdogOf(ppid: number): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('watchdog')) return Number(name);
    } catch {
      /* gone */
    }
  }
  return null;
}

test('run ends a setsid escapee after the command exits, and says so', async () => {
  const pf = pidFile();
  const r = await runCli(['run', '--grace', '2s', '--', PYTHON, escape('setsid_escape.py'), pf]);
  const escapee = readPids(pf).escapee?.[0];
  assert.ok(escapee, `the fixture reported its escapee: ${readFileSync(pf, 'utf8')}`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!alive(escapee), `setsid escapee ${escapee} was ended`);
  assert.match(r.stderr, new RegExp(`^rerun-doctor run: ended 1 leftover process \\(pid ${escapee}; 1 in a new session \\(setsid\\)`, 'm'));
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('run ends a double-forked daemon after the command exits', async () => {
  const pf = pidFile();
  const r = await runCli(['run', '--grace', '2s', '--', PYTHON, escape('double_fork.py'), pf]);
  const escapee = readPids(pf).escapee?.[0];
  assert.ok(escapee, 'the fixture reported its daemon');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!alive(escapee), `double-forked daemon ${escapee} was ended`);
  assert.match(r.stderr, /ended 1 leftover process .*orphaned \(double fork/);
});

test('run SIGKILLed mid-run: the watchdog takes the whole tree down within ~3 s', async () => {
  const pf = pidFile();
  const pf2 = pidFile();
  // Both escape kinds at once, and the command itself still running when rerun-doctor dies.
  const script = `${PYTHON} ${escape('setsid_escape.py')} ${pf} 60 & ${PYTHON} ${escape('double_fork.py')} ${pf2} 60; wait`;
  const cli = startCli(['run', '--', '/bin/sh', '-c', script]);
  groups.push(cli.child.pid!);
  await waitFor(() => Object.keys(readPids(pf)).length === 2 && Object.keys(readPids(pf2)).length === 2, 'the fixtures to report their pids');
  const wd = watchdogOf(cli.child.pid!);
  assert.ok(wd !== null, 'a watchdog runs beside rerun-doctor');
  tracked.add(wd);
  const victims = [readPids(pf).parent![0]!, readPids(pf).escapee![0]!, readPids(pf2).parent![0]!, readPids(pf2).escapee![0]!];
  assert.ok(victims.every(alive), 'everything runs before the kill');
  process.kill(cli.child.pid!, 'SIGKILL');
  await cli.exited;
  const t0 = Date.now();
  await waitFor(() => victims.every((p) => !alive(p)), `processes ${victims.join(', ')} to be ended by the watchdog`, 3000);
  assert.ok(Date.now() - t0 < 3000, 'within 3 s');
  await waitFor(() => !alive(wd), 'the watchdog to exit', 2000);
});

test('exit codes pass through: 7 stays 7, a signal is 128 + its number', async () => {
  const a = await runCli(['run', '--', '/bin/sh', '-c', 'exit 7']);
  assert.equal(a.code, 7, a.stderr);
  assert.equal(a.stderr, '', 'nothing left, nothing said');
  const b = await runCli(['run', '--', '/bin/sh', '-c', 'kill -TERM $$']);
  assert.equal(b.code, 143, b.stderr);
});

test('SIGTERM to rerun-doctor is forwarded: the command sees it, and its exit code passes', async () => {
  const pf = pidFile();
  const cli = startCli(['run', '--grace', '2s', '--', PYTHON, escape('term_trap.py'), pf]);
  await waitFor(() => readPids(pf).parent !== undefined, 'term_trap to start');
  process.kill(cli.child.pid!, 'SIGTERM');
  const r = await cli.exited;
  assert.equal(r.code, 3, cli.stderr());
  assert.match(readFileSync(pf, 'utf8'), /^got SIGTERM$/m);
  assert.ok(!alive(readPids(pf).parent![0]!), 'the command is gone');
});

test('run without a command is a one-line usage error', async () => {
  const r = await runCli(['run', '--grace', '1s']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /expected the command after --/);
});
