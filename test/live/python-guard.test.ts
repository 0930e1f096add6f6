// The Python parent-death guard (issue 15, docs/prevention.md) on real servers, WITHOUT `run`
// around them: the sample server (demo/server) with spawn, forkserver and fork workers, and a
// torch.multiprocessing pool where torch is importable, started from bash with the lines
// `rerun-doctor python-guard --env` prints, then its main SIGKILLed. With the guard on, every
// worker, the forkserver and the resource tracker are gone within 2 s of the kill; with it off
// (the same launch without the lines, or with the sitecustomize on PYTHONPATH but no marker) the
// same processes are all still there well after that. Then a graceful shutdown that outlives its
// main: the guard's grace lets it finish (and a grace of 0 cuts it, so the test can tell), and
// SIGTERM to a main that has no handler: the guard's handler ends the workers. Everything is
// cleaned up by process group and pid (liveScope) and must be gone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, CLI, freePort, liveScope, PYTHON, sleep, startServer, waitFor, waitListening, type Started } from '../helpers/live.js';
import { fixture, ROOT } from '../helpers/paths.js';

const { tracked, groups, tempDir } = liveScope();
const GUARD_DIR = join(ROOT, 'python', 'sitecustomize');
// The promise: gone within 2 s of the main's death (1 s grace, then the exit; the tracker follows
// the last holder of its pipe).
const PROMISE_MS = 2_000;
// Off: still there this long after the kill (past the promise, with margin).
const OFF_WAIT_MS = 3_000;

/** bash, as a user's shell: the guard's lines evaluated (or not), then exec of the server. */
function launcher(guard: boolean, argv: string[]): string[] {
  const lines = guard ? `eval "$("${process.execPath}" "${CLI}" python-guard --env)" && ` : '';
  return ['/bin/bash', '-c', `${lines}exec "$@"`, 'bash', ...argv];
}

async function start(argv: string[], opts: { guard: boolean; env?: NodeJS.ProcessEnv }): Promise<Started> {
  const s = await startServer([], tracked, { launcher: launcher(opts.guard, argv), env: { RERUN_DOCTOR_GUARD: '', ...opts.env } });
  groups.push(s.pgid);
  return s;
}

const helpers = (s: Started) => [...s.workers, s.tracker, s.forkserver].filter((p): p is number => typeof p === 'number' && p > 0);

/** SIGKILL to the main; resolves with the time of the kill once the main is reaped. */
async function killMain(s: Started): Promise<number> {
  await waitFor(() => [s.main, ...helpers(s)].every(alive), 'every process of the server to be up', 10_000);
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  const t0 = Date.now();
  process.kill(s.main, 'SIGKILL');
  await exited;
  return t0;
}

async function goneWithin(pids: number[], t0: number, ms: number, what: string, s: Started): Promise<void> {
  while (Date.now() - t0 < ms) {
    if (pids.every((p) => !alive(p))) return;
    await sleep(25);
  }
  const left = pids.filter(alive);
  assert.deepEqual(left, [], `${what}: still alive ${ms} ms after the main's SIGKILL: ${left.join(', ')}\n${s.stderr()}`);
}

async function stillThere(pids: number[], s: Started, what: string): Promise<void> {
  await sleep(OFF_WAIT_MS);
  assert.deepEqual(pids.filter((p) => !alive(p)), [], `${what}: these exited although the guard is off\n${s.stderr()}`);
}

for (const method of ['spawn', 'forkserver', 'fork'] as const) {
  test(`guard on (${method} workers, python-guard --env, no run): the main SIGKILLed, every worker${method === 'forkserver' ? ', the forkserver' : ''} and the tracker exit within 2 s`, async () => {
    const port = await freePort();
    const s = await start([PYTHON, '-m', 'src.main', '--workers', '2', '--start-method', method, '--worker-port', String(port)], { guard: true });
    await waitListening([port]);
    const pids = helpers(s);
    assert.equal(s.workers.length, 2);
    if (method !== 'fork') assert.ok(s.tracker, 'a resource tracker');
    if (method === 'forkserver') assert.ok(s.forkserver, 'a forkserver');
    const t0 = await killMain(s);
    await goneWithin(pids, t0, PROMISE_MS, `${method} with the guard`, s);
    // Each worker said why it went (the guard's one line on stderr).
    for (const w of s.workers) assert.match(s.stderr(), new RegExp(`rerun-doctor guard: pid ${w} exits: its (parent|guarded ancestor) ${s.main} exited`), s.stderr());
  });

  test(`guard off (${method} workers, the same launch without the lines): the main SIGKILLed, everything stays`, async () => {
    const port = await freePort();
    const s = await start([PYTHON, '-m', 'src.main', '--workers', '2', '--start-method', method, '--worker-port', String(port)], { guard: false });
    await waitListening([port]);
    const pids = helpers(s);
    await killMain(s);
    await stillThere(pids, s, `${method} without the guard`);
    assert.doesNotMatch(s.stderr(), /rerun-doctor guard/);
  });
}

test('guard on without pidfd_open (RERUN_DOCTOR_GUARD_NO_PIDFD=1: PR_SET_PDEATHSIG wakes the watcher, os.getppid() polled): spawn workers and the tracker exit within 2 s', async () => {
  const port = await freePort();
  const s = await start([PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)], { guard: true, env: { RERUN_DOCTOR_GUARD_NO_PIDFD: '1' } });
  await waitListening([port]);
  const pids = helpers(s);
  const t0 = await killMain(s);
  await goneWithin(pids, t0, PROMISE_MS, 'spawn with the guard, no pidfd', s);
});

test('never without the marker: the sitecustomize on PYTHONPATH but no RERUN_DOCTOR_GUARD=1, the main SIGKILLed, everything stays', async () => {
  const port = await freePort();
  const s = await start([PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)], { guard: false, env: { PYTHONPATH: GUARD_DIR } });
  await waitListening([port]);
  const pids = helpers(s);
  await killMain(s);
  await stillThere(pids, s, 'PYTHONPATH alone');
});

function torchImportable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch.multiprocessing'], { stdio: 'ignore', timeout: 120_000 });
    return true;
  } catch {
    return false;
  }
}

const TORCH = fixture('bin', 'attribution', 'pools', 'torch_mp.py');
const noTorch = torchImportable() ? false : 'python3-torch is not importable here (apt-get install python3-torch)';

test('guard on, torch.multiprocessing.spawn pool whose workers ignore SIGINT (so torch own PDEATHSIG does not end them): the main SIGKILLed, they and the tracker exit within 2 s', { skip: noTorch }, async () => {
  const s = await start([PYTHON, TORCH, '--nprocs', '2', '--ignore-sigint'], { guard: true });
  const pids = helpers(s);
  const t0 = await killMain(s);
  await goneWithin(pids, t0, PROMISE_MS, 'torch.multiprocessing with the guard', s);
});

test('guard off, the same torch.multiprocessing pool: its workers stay', { skip: noTorch }, async () => {
  const s = await start([PYTHON, TORCH, '--nprocs', '2', '--ignore-sigint'], { guard: false });
  const pids = helpers(s);
  await killMain(s);
  await stillThere(pids, s, 'torch.multiprocessing without the guard');
});

const GRACEFUL = fixture('bin', 'python-guard', 'graceful.py');

for (const grace of ['1', '0'] as const) {
  test(`a graceful shutdown that outlives its main (SIGTERM; the main exits, its workers take 0.5 s): with grace ${grace} s the workers ${grace === '1' ? 'finish their handler' : 'are cut short (so the test can tell)'}`, async () => {
    const dir = tempDir('rd-guard-graceful-');
    const s = await start([PYTHON, GRACEFUL, '--workers', '2', '--work', '0.5', '--dir', dir], { guard: true, env: { RERUN_DOCTOR_GUARD_GRACE: grace } });
    const pids = helpers(s);
    await waitFor(() => [s.main, ...pids].every(alive), 'the server to be up', 10_000);
    const t0 = Date.now();
    process.kill(s.main, 'SIGTERM');
    await goneWithin(pids, t0, PROMISE_MS + 500, 'the graceful shutdown', s);
    const done = readdirSync(dir).filter((f) => f.startsWith('done-')).sort();
    if (grace === '1') assert.deepEqual(done, s.workers.map((w) => `done-${w}`).sort(), `every worker finished its handler\n${s.stderr()}`);
    else assert.deepEqual(done, [], `a 0 s grace ends them before their handler is done\n${s.stderr()}`);
  });
}

test("SIGTERM to a main that has no handler: the guard's handler terminates its workers and the main exits 143 (without the guard: they stay)", async () => {
  for (const guard of [true, false]) {
    const port = await freePort();
    const s = await start([PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)], { guard });
    await waitListening([port]);
    const pids = helpers(s);
    const exited = new Promise<[number | null, string | null]>((r) => s.child.once('exit', (c, sig) => r([c, sig])));
    const t0 = Date.now();
    process.kill(s.main, 'SIGTERM');
    const [code, signal] = await exited;
    if (guard) {
      assert.deepEqual([code, signal], [143, null], 'SystemExit(143) from the guard, not death by the signal');
      await goneWithin(pids, t0, PROMISE_MS, 'workers and tracker after the guarded SIGTERM', s);
    } else {
      assert.deepEqual([code, signal], [null, 'SIGTERM']);
      await stillThere(pids, s, 'SIGTERM without a handler or the guard');
    }
  }
});

test('run --python-guard puts the guard into the run: the command is the main, its children are children', async () => {
  const out = execFileSync(process.execPath, [CLI, 'run', '--python-guard', '--', PYTHON, '-c', [
    'import json, os, subprocess, sys, rerun_doctor_guard as g',
    'child = subprocess.run([sys.executable, "-c", "import json, rerun_doctor_guard as g; print(json.dumps(g.state))"], capture_output=True, text=True).stdout',
    'print(json.dumps({"main": g.state, "child": json.loads(child), "path": os.environ["PYTHONPATH"].split(":")[0], "run": os.environ.get("RERUN_DOCTOR_RUN_ID")}))',
  ].join('\n')], { encoding: 'utf8', env: { ...process.env, RERUN_DOCTOR_GUARD: '', RERUN_DOCTOR_GUARD_CHAIN: '999:1' } });
  const r = JSON.parse(out) as { main: { role: string; handlers: string[] }; child: { role: string; watching: [number, string][] }; path: string; run: string | null };
  assert.equal(r.main.role, 'main', 'an inherited chain is dropped: the command is a new main');
  assert.deepEqual(r.main.handlers, ['SIGTERM', 'SIGINT']);
  assert.equal(r.child.role, 'child');
  assert.ok(r.child.watching.length >= 1, 'the child watches its parent');
  assert.equal(r.path, GUARD_DIR);
  assert.match(r.run ?? '', /^[0-9a-f]{16}$/);
  assert.ok(existsSync(join(r.path, 'sitecustomize.py')), 'the directory holds the sitecustomize');
});
