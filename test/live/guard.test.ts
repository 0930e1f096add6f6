// rerun-doctor guard, with real processes: fails on a command that leaks a process or leaves a
// listener (and lists it), passes on a clean one (a child exiting anyway is not reported),
// --allow exempts, --clean ends. Cleanup is by process group and pid, never by name.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { alive, PYTHON, runCli } from '../helpers/live.js';
import { escapeFixtures } from '../helpers/escape.js';

const fx = escapeFixtures('rd-guard');
const { escape, pidFile, readPids } = fx;
after(() => fx.done());

/** Ends a leftover the test let live (the after hook checks that every tracked pid is gone). */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

test('guard fails on a command that leaks a process, and lists it with how it got away', async () => {
  const pf = pidFile();
  const r = await runCli(['guard', '--', PYTHON, escape('setsid_escape.py'), pf]);
  const [escapee] = readPids(pf).escapee ?? [];
  assert.ok(escapee, 'the fixture reported its escapee');
  assert.equal(r.code, 1, r.stderr);
  assert.ok(alive(escapee), 'guard without --clean leaves it alone');
  assert.match(r.stderr, /left 1 process behind:/);
  assert.match(r.stderr, new RegExp(`^  ${escapee} \\S*python3\\S* .*setsid_escape\\.py .*\\(new session \\(setsid\\), orphaned\\)$`, 'm'));
  assert.match(r.stderr, /^ {4}parents: 1 /m);
  kill(escapee);
});

test('guard fails on a command that leaves a listener, and names the address', async () => {
  const pf = pidFile();
  const r = await runCli(['guard', '--', PYTHON, escape('leak_listener.py'), pf]);
  const [pid, port] = readPids(pf).escapee ?? [];
  assert.ok(pid && port, 'the fixture reported its listener');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`listening on 127\\.0\\.0\\.1:${port}:`));
  assert.match(r.stderr, new RegExp(`^  ${pid} .*listening 127\\.0\\.0\\.1:${port}\\)$`, 'm'));
  kill(pid);
});

test('guard passes on a clean command, even with a child still on its way out (settle)', async () => {
  const pf = pidFile();
  const r = await runCli(['guard', '--', PYTHON, escape('clean_exit.py'), pf]);
  readPids(pf);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing reported');
});

test('guard passes the command exit code through when nothing is left', async () => {
  const r = await runCli(['guard', '--', '/bin/sh', '-c', 'exit 5']);
  assert.equal(r.code, 5, r.stderr);
});

test('guard --allow exempts a matching process', async () => {
  const pf = pidFile();
  const r = await runCli(['guard', '--allow', 'leak_listener\\.py', '--', PYTHON, escape('leak_listener.py'), pf]);
  const [pid] = readPids(pf).escapee ?? [];
  assert.ok(pid, 'the fixture reported its listener');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(alive(pid), '--allow neither reports nor ends it');
  kill(pid);
});

test('guard --clean ends the leftovers (double fork) and still fails', async () => {
  const pf = pidFile();
  const r = await runCli(['guard', '--clean', '--grace', '2s', '--', PYTHON, escape('double_fork.py'), pf]);
  const [pid] = readPids(pf).escapee ?? [];
  assert.ok(pid, 'the fixture reported its daemon');
  assert.equal(r.code, 1, r.stderr);
  assert.ok(!alive(pid), `daemon ${pid} was ended`);
  assert.match(r.stderr, new RegExp(`^rerun-doctor guard: ended 1 leftover process \\(pid ${pid}\\)$`, 'm'));
});

test('guard without a command is a one-line usage error', async () => {
  const r = await runCli(['guard', '--clean']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
