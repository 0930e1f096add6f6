// The fix recipes of docs/fixes/, each checked against real processes: the same small server
// (test/fixtures/recipes/server.py) with and without the fix, its main process stopped the way
// the recipe claims to cover (SIGTERM or SIGKILL), then every pid its ready line named checked.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { alive, cleanup, freePort, PYTHON, sleep, startServer, waitFor, waitListening, type Started } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const SERVER = fixture('recipes', 'server.py');
const tracked = new Set<number>();
const groups: number[] = [];
const dirs: string[] = [];

async function reap(): Promise<void> {
  try {
    await cleanup(tracked, groups);
  } finally {
    // Forget the pids once they are gone, so a later cleanup never signals a reused pid.
    tracked.clear();
    groups.length = 0;
  }
}
afterEach(reap);
after(async () => {
  await reap();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Server extends Started {
  /** The process group the server itself leads or belongs to (from its ready line). */
  group: number;
}

async function start(recipe: string, extra: string[] = [], prefix: string[] = []): Promise<Server> {
  const s = (await startServer([], tracked, {
    launcher: [...prefix, PYTHON, SERVER, '--recipe', recipe, '--workers', '2', ...extra],
  })) as Server & { group: number };
  groups.push(s.pgid);
  if (s.group !== s.pgid) groups.push(s.group);
  return s;
}

/** Workers and helpers: what must not outlive the main process. */
function leftovers(s: Server): number[] {
  return [...s.workers, s.tracker, s.forkserver].filter((p): p is number => typeof p === 'number' && p > 0);
}

async function stopMain(s: Server, signal: NodeJS.Signals): Promise<void> {
  const all = [s.main, ...leftovers(s)];
  await waitFor(() => all.every(alive), `every pid of ${s.main} to be up`, 5_000);
  process.kill(s.main, signal);
  await waitFor(() => !alive(s.main), `main ${s.main} to end after ${signal}: ${s.stderr()}`, 10_000);
}

/** "Nothing survives": every worker and helper is gone (or a zombie) within 5 s. */
async function assertNothingSurvives(s: Server, what: string): Promise<void> {
  const pids = leftovers(s);
  assert.ok(s.workers.length === 2, `${what}: the ready line named 2 workers`);
  try {
    await waitFor(() => pids.every((p) => !alive(p)), what, 5_000);
  } catch {
    /* reported below */
  }
  const left = pids.filter(alive);
  assert.deepEqual(left, [], `${what}: survivors ${left.join(', ')} of ${pids.join(', ')}`);
}

/** "The bug": the workers (and helpers) are still alive 2 s after the main is gone. */
async function assertWorkersSurvive(s: Server, what: string): Promise<void> {
  await sleep(2_000);
  const pids = leftovers(s);
  const gone = pids.filter((p) => !alive(p));
  assert.ok(s.tracker !== null, `${what}: the ready line named the resource tracker`);
  assert.deepEqual(gone, [], `${what}: expected every worker and helper to survive, but ${gone.join(', ')} ended`);
}

function exitOf(s: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve({ code: s.child.exitCode, signal: s.child.signalCode });
  return new Promise((r) => s.child.once('exit', (code, signal) => r({ code, signal })));
}

/** Pids that hold a LISTEN socket on 127.0.0.1:port, one entry per (socket, pid). */
function listeners(port: number): { inode: string; pids: number[] }[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[1]!.endsWith(hex) && f[3] === '0A')
    .map((f) => f[9]!);
  return inodes.map((inode) => {
    const pids: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        for (const fd of readdirSync(`/proc/${d}/fd`)) {
          try {
            if (readlinkSync(`/proc/${d}/fd/${fd}`) === `socket:[${inode}]`) pids.push(Number(d));
          } catch {
            /* fd closed meanwhile */
          }
        }
      } catch {
        /* not ours to read, or gone */
      }
    }
    return { inode, pids };
  });
}

// ---- the bug, reproduced (the control for every recipe) -------------------------------------

test('none + SIGTERM (spawn): the workers and the resource tracker survive as orphans', async () => {
  const s = await start('none');
  await stopMain(s, 'SIGTERM');
  await assertWorkersSurvive(s, 'none + SIGTERM');
});

test('none + SIGKILL (forkserver): the workers, the tracker and the forkserver survive', async () => {
  const s = await start('none', ['--start-method', 'forkserver']);
  assert.ok(s.forkserver !== null, 'the ready line named the forkserver');
  await stopMain(s, 'SIGKILL');
  await assertWorkersSurvive(s, 'none + SIGKILL, forkserver');
});

// ---- signal-handlers ------------------------------------------------------------------------

test('signal-handlers + SIGTERM: the main stops its workers and exits 0; nothing survives', async () => {
  const s = await start('signal-handlers');
  const exited = exitOf(s);
  await stopMain(s, 'SIGTERM');
  await assertNothingSurvives(s, 'signal-handlers + SIGTERM');
  const { code } = await exited;
  assert.equal(code, 0, `the main exits 0 after a clean stop: ${s.stderr()}`);
});

test('signal-handlers + SIGTERM, workers that ignore SIGTERM: the SIGKILL fallback ends them', async () => {
  const s = await start('signal-handlers', ['--stubborn-workers', '--join-timeout', '1']);
  await stopMain(s, 'SIGTERM');
  await assertNothingSurvives(s, 'signal-handlers + SIGTERM, stubborn workers');
});

test('signal-handlers + SIGKILL: not covered, the workers survive (the documented limit)', async () => {
  const s = await start('signal-handlers');
  await stopMain(s, 'SIGKILL');
  await assertWorkersSurvive(s, 'signal-handlers + SIGKILL');
});

// ---- parent-watch ---------------------------------------------------------------------------

for (const method of ['spawn', 'forkserver']) {
  test(`parent-watch + SIGKILL (${method}): the workers exit with their parent; nothing survives`, async () => {
    const s = await start('parent-watch', ['--start-method', method]);
    await stopMain(s, 'SIGKILL');
    await assertNothingSurvives(s, `parent-watch + SIGKILL, ${method}`);
  });
}

// ---- pdeathsig ------------------------------------------------------------------------------

test('pdeathsig + SIGKILL (spawn): the kernel signals the workers; nothing survives', async () => {
  const s = await start('pdeathsig');
  await stopMain(s, 'SIGKILL');
  await assertNothingSurvives(s, 'pdeathsig + SIGKILL, spawn');
});

test('pdeathsig + SIGKILL (forkserver): not covered, the workers survive (their parent is the forkserver)', async () => {
  const s = await start('pdeathsig', ['--start-method', 'forkserver']);
  await stopMain(s, 'SIGKILL');
  await assertWorkersSurvive(s, 'pdeathsig + SIGKILL, forkserver');
});

// ---- killpg ---------------------------------------------------------------------------------

test('killpg + SIGTERM: the main leads its own group and signals it; nothing survives', async () => {
  // A shell launcher that stays (not `exec`), so the main starts inside the launcher's group and
  // the recipe's setpgid(0, 0) is what puts it in a group of its own.
  const s = await start('killpg', [], ['/bin/sh', '-c', '"$@"; exit $?', 'sh']);
  assert.ok(s.main !== s.pgid, `the launcher (${s.pgid}) is not the main (${s.main})`);
  assert.equal(s.group, s.main, 'the main leads a new process group');
  assert.ok(s.group !== s.pgid, 'the new group is not the launcher group');
  await stopMain(s, 'SIGTERM');
  await assertNothingSurvives(s, 'killpg + SIGTERM');
});

// ---- reuseport-off --------------------------------------------------------------------------

test('reuseport-off: a second server on the port exits 1 with EADDRINUSE; the first keeps it', async () => {
  const port = await freePort();
  const first = await start('reuseport-off', ['--port', String(port), '--workers', '0']);
  await waitListening([port]);
  const second = spawn(PYTHON, [SERVER, '--recipe', 'reuseport-off', '--workers', '0', '--port', String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tracked.add(second.pid!);
  groups.push(second.pid!);
  let out = '';
  let err = '';
  second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  second.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => second.once('close', (c) => r(c)));
  assert.equal(code, 1, `the second server exits 1; stderr: ${err}`);
  assert.match(err, /EADDRINUSE/, 'it names EADDRINUSE');
  assert.match(err, new RegExp(`:${port}\\b`), 'it names the port');
  assert.ok(!out.includes('"ready"'), 'the second server never got ready');
  const l = listeners(port);
  assert.equal(l.length, 1, `one listening socket on :${port}: ${JSON.stringify(l)}`);
  assert.deepEqual(l[0]!.pids, [first.main], 'the first server still holds it');
  assert.ok(alive(first.main), 'the first server is still up');
});

test('none (SO_REUSEPORT, grpcio default): a second server binds the same port silently', async () => {
  const port = await freePort();
  const first = await start('none', ['--port', String(port), '--workers', '0']);
  const second = await start('none', ['--port', String(port), '--workers', '0']);
  await waitListening([port]);
  const owners = listeners(port)
    .flatMap((x) => x.pids)
    .sort((a, b) => a - b);
  assert.deepEqual(owners, [first.main, second.main].sort((a, b) => a - b), 'two listening sockets, one per server: the port is shared');
});

// ---- multiproc-dir --------------------------------------------------------------------------

for (const recipe of ['multiproc-dir', 'none']) {
  const wipes = recipe === 'multiproc-dir';
  test(`${recipe}: a stale PROMETHEUS_MULTIPROC_DIR file ${wipes ? 'is gone after start' : 'stays (the bug)'}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rerun-doctor-mpdir-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'histogram_99999.db'), 'an earlier run\n');
    const s = await start(recipe, [], ['/usr/bin/env', `PROMETHEUS_MULTIPROC_DIR=${dir}`]);
    const mine = s.workers.map((p) => `worker_${p}.db`).sort();
    await waitFor(() => mine.every((f) => existsSync(join(dir, f))), 'the workers to write their files', 5_000);
    const files = readdirSync(dir).sort();
    if (wipes) assert.deepEqual(files, mine, 'only this run\'s workers\' files are left');
    else assert.deepEqual(files, ['histogram_99999.db', ...mine].sort(), 'the stale file is still merged into every scrape');
  });
}

// ---- shm-unlink -----------------------------------------------------------------------------

/** The whole run SIGKILLed at once, its resource tracker too (an IDE's stop button, `docker kill`, `kill -9 -- -PGID`). */
async function killGroup(s: Server): Promise<void> {
  const all = [s.main, ...leftovers(s)];
  await waitFor(() => all.every(alive), `every pid of ${s.main} to be up`, 5_000);
  process.kill(-s.group, 'SIGKILL');
  await waitFor(() => all.every((p) => !alive(p)), `the group ${s.group} to be gone`, 5_000);
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

for (const recipe of ['shm-unlink', 'none']) {
  const fixes = recipe === 'shm-unlink';
  test(`${recipe}: a segment a SIGKILLed run left under a fixed name ${fixes ? 'is replaced by the next run' : 'makes the next run fail with FileExistsError (the bug)'}`, async () => {
    const name = `psm_recipe_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
    const path = `/dev/shm/${name}`;
    try {
      const first = await start(recipe, ['--shm', name]);
      const firstInode = inodeOf(path);
      assert.ok(firstInode !== null, `the first run made ${path}`);
      await killGroup(first);
      assert.equal(inodeOf(path), firstInode, 'the SIGKILLed run left its segment behind (nothing was left to unlink it)');
      if (fixes) {
        const second = await start(recipe, ['--shm', name]);
        const secondInode = inodeOf(path);
        assert.ok(secondInode !== null && secondInode !== firstInode, `the second run made a new ${path} (inode ${secondInode}, the stale one was ${firstInode})`);
        assert.equal(statSync(path).size, 1 << 20, 'the new segment is the run\'s 1 MiB');
        for (const pid of [second.main, ...second.workers]) {
          assert.match(readFileSync(`/proc/${pid}/maps`, 'utf8'), new RegExp(`/dev/shm/${name}$`, 'm'), `pid ${pid} maps the new segment`);
        }
      } else {
        const second = spawn(PYTHON, [SERVER, '--recipe', recipe, '--workers', '2', '--shm', name], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        tracked.add(second.pid!);
        groups.push(second.pid!);
        let err = '';
        second.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        const code = await new Promise<number | null>((r) => second.once('close', (c) => r(c)));
        assert.equal(code, 1, `the second run exits 1; stderr: ${err}`);
        assert.match(err, /FileExistsError/, 'it names FileExistsError');
        assert.equal(inodeOf(path), firstInode, 'the stale segment is still there');
      }
    } finally {
      await reap();
      rmSync(path, { force: true });
    }
  });
}

test('shm-unlink + SIGINT: the creator unlinks its segment on an orderly stop', async () => {
  const name = `psm_recipe_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
  const path = `/dev/shm/${name}`;
  try {
    const s = await start('shm-unlink', ['--shm', name]);
    assert.ok(inodeOf(path) !== null, `the run made ${path}`);
    const exit = exitOf(s);
    await stopMain(s, 'SIGINT');
    assert.deepEqual(await exit, { code: 0, signal: null }, 'the main stopped in order');
    await assertNothingSurvives(s, 'shm-unlink + SIGINT');
    assert.equal(inodeOf(path), null, `${path} is gone`);
  } finally {
    await reap();
    rmSync(path, { force: true });
  }
});

// ---- thread-caps ----------------------------------------------------------------------------

/** A worker's environment variable, read from /proc/PID/environ as rerun-doctor reads it. */
function envOf(pid: number, key: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
}

/** torch's own default intra-op thread count on this machine (no cap in the environment). */
function torchDefaultThreads(): number {
  const r = spawnSync('/usr/bin/env', ['-u', 'OMP_NUM_THREADS', '-u', 'MKL_NUM_THREADS', PYTHON, '-c', 'import torch; print(torch.get_num_threads())'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('thread-caps (torch workers): OMP_NUM_THREADS reaches every worker and caps torch at cores / workers; without it, torch\'s default', { timeout: 120_000 }, async () => {
  const clean = ['/usr/bin/env', '-u', 'OMP_NUM_THREADS', '-u', 'MKL_NUM_THREADS', '-u', 'TOKENIZERS_PARALLELISM'];
  const cores = Number(spawnSync(PYTHON, ['-c', 'import os; print(os.cpu_count())'], { encoding: 'utf8' }).stdout.trim());
  const cap = Math.max(1, Math.floor(cores / 2));
  const byDefault = torchDefaultThreads();

  const fixed = (await start('thread-caps', ['--torch'], clean)) as Server & { torch_threads: number[] };
  assert.deepEqual(fixed.torch_threads, [cap, cap], `each of the 2 workers runs torch with ${cap} thread(s) (${cores} cores)`);
  for (const w of fixed.workers) {
    assert.equal(envOf(w, 'OMP_NUM_THREADS'), String(cap), `worker ${w} inherited OMP_NUM_THREADS`);
    assert.equal(envOf(w, 'TOKENIZERS_PARALLELISM'), 'false', `worker ${w} inherited TOKENIZERS_PARALLELISM`);
  }
  await reap();

  const bare = (await start('none', ['--torch'], clean)) as Server & { torch_threads: number[] };
  assert.deepEqual(bare.torch_threads, [byDefault, byDefault], "without the recipe each worker takes torch's default");
  for (const w of bare.workers) assert.equal(envOf(w, 'OMP_NUM_THREADS'), undefined, `worker ${w} has no cap`);
  // Where torch's default is above the cap (any machine with more cores than workers), the recipe is what changed it.
  if (byDefault > cap) assert.ok(fixed.torch_threads[0]! < bare.torch_threads[0]!, 'the recipe lowered the threads per worker');
});
