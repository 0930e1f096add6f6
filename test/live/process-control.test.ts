// process-control with real processes on Linux, inside a private PID + network namespace (every
// signal can only reach what these tests started; test/helpers/private-ns.ts): a spawned group
// leader carries the marker; TERM → grace → KILL ends a process that ignores SIGTERM, and only
// after the grace; a stale ref is never signalled; a real zombie is gone; a group outlives its
// leader and still gets the group signal; an unreadable /proc entry (hidepid) is 'denied', never
// 'gone'; the finder reaches a setsid escapee through the marker, not a stranger; listeners come
// from the socket probe. Everything started is ended by pid or group in the after hook.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  checkSame,
  createRunFinder,
  listenersOf,
  newRunId,
  readIdentity,
  signalGroup,
  signalIfSame,
  signalOwnChild,
  spawnGroup,
  terminate,
  type ProcessRef,
} from '../../src/actions/process-control.js';
import { createHost } from '../../src/host/host.js';
import { alive, cleanup, PYTHON, waitFor } from '../helpers/live.js';
import { insidePrivateNamespace, privateNamespaceSkipReason, runInPrivateNamespace } from '../helpers/private-ns.js';
import { ROOT } from '../helpers/paths.js';

if (!insidePrivateNamespace()) {
  test('process-control on real processes (in a private PID + network namespace)', { skip: privateNamespaceSkipReason() }, () => runInPrivateNamespace(import.meta.url));
} else {
  const tracked = new Set<number>();
  const groups: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rd-pc-'));
  after(async () => {
    await cleanup(tracked, groups);
    rmSync(dir, { recursive: true, force: true });
  });
  const host = createHost({ platform: 'linux' });

  /** A process group leader running argv, tracked for cleanup; resolves with its pid once it runs. */
  const start = async (argv: string[], marker?: string) => {
    const g = await spawnGroup(argv, { env: process.env, stdio: 'ignore', marker });
    tracked.add(g.pid);
    groups.push(g.pid);
    return g;
  };
  const ref = async (pid: number): Promise<ProcessRef> => {
    const id = await readIdentity(host, pid);
    assert.ok(id && id !== 'denied', `pid ${pid} is readable`);
    return { pid: id.pid, startKey: id.startKey };
  };
  const IGNORE_TERM = 'import signal,time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(120)';

  test('spawnGroup: the child leads its own group and session, and carries the marker after any outer one', async () => {
    const runId = newRunId();
    const g = await spawnGroup(['/bin/sleep', '30'], { env: { ...process.env, RERUN_DOCTOR_RUN_ID: 'outer' }, stdio: 'ignore', marker: runId });
    tracked.add(g.pid);
    const id = await readIdentity(host, g.pid);
    assert.ok(id && id !== 'denied', 'readable');
    assert.equal(id.pgid, g.pid);
    assert.equal(id.sid, g.pid);
    assert.deepEqual(id.argv, ['/bin/sleep', '30']);
    assert.match(readFileSync(`/proc/${g.pid}/environ`, 'utf8'), new RegExp(`(^|\\0)RERUN_DOCTOR_RUN_ID=outer,${runId}\\0`));
    assert.equal(await signalOwnChild(host, g, 'SIGTERM'), 'sent');
    assert.deepEqual(await g.exited, { code: null, signal: 'SIGTERM' });
    assert.equal(await signalOwnChild(host, g, 'SIGTERM'), 'gone', 'once reaped, our child is not signalled again');
    await assert.rejects(spawnGroup(['/nonexistent/prog'], { env: process.env, stdio: 'ignore' }), /ENOENT/);
  });

  test('terminate: sleep ends on SIGTERM; a Python that ignores SIGTERM is SIGKILLed, only after the grace', async () => {
    const a = await start(['/bin/sleep', '60']);
    const b = spawn(PYTHON, ['-c', IGNORE_TERM], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    tracked.add(b.pid!);
    groups.push(b.pid!);
    await new Promise((r) => b.stdout!.once('data', r));
    const t0 = Date.now();
    const report = await terminate(host, [await ref(a.pid), await ref(b.pid!)], { graceMs: 1000 });
    const took = Date.now() - t0;
    assert.deepEqual(report.results.map((r) => [r.target.pid, r.outcome]), [[a.pid, 'terminated'], [b.pid, 'killed']]);
    assert.ok(took >= 1000, `SIGKILL waited for the grace (${took} ms)`);
    assert.ok(!alive(a.pid) && !alive(b.pid!), 'both are gone');
    assert.deepEqual(report.survivors, []);
  });

  test('signalIfSame: a ref with another start time is not signalled (the process lives on); the right one is', async () => {
    const g = await start(['/bin/sleep', '60']);
    const r = await ref(g.pid);
    assert.equal(await signalIfSame(host, { pid: g.pid, startKey: r.startKey - 1 }, 'SIGKILL'), 'changed');
    await new Promise((res) => setTimeout(res, 100));
    assert.ok(alive(g.pid), 'not signalled');
    assert.equal(await signalIfSame(host, r, 'SIGKILL'), 'sent');
    await g.exited;
    assert.equal(await checkSame(host, r), 'gone');
  });

  test('a real zombie reads as gone and is not signalled', async () => {
    // The parent forks a child that exits at once and never reaps it.
    const p = spawn(PYTHON, ['-c', 'import os,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    tracked.add(p.pid!);
    groups.push(p.pid!);
    const zombie = Number(await new Promise<string>((r) => p.stdout!.once('data', (d: Buffer) => r(d.toString()))));
    await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'), 'the child to be a zombie');
    assert.equal(await readIdentity(host, zombie), null);
    assert.equal(await signalIfSame(host, { pid: zombie, startKey: 0 }, 'SIGKILL'), 'gone');
  });

  test('signalGroup: the group outlives its leader and still gets the signal; our own group is refused', async () => {
    const g = await start(['/bin/sh', '-c', '/bin/sleep 60 & /bin/sleep 61 & echo started']);
    await g.exited;
    const members = (): number[] =>
      execFileSync('/bin/ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter(([, pgid]) => pgid === g.pid)
        .map(([pid]) => pid!);
    await waitFor(() => members().length === 2, 'both sleeps to run');
    for (const pid of members()) tracked.add(pid);
    const left = members();
    assert.equal(await signalOwnChild(host, g, 'SIGTERM', { group: true }), 'sent', 'the leader is reaped, its group is not empty');
    await waitFor(() => left.every((pid) => !alive(pid)), 'the group to end');
    assert.equal(await signalGroup(host, g.pid, 'SIGTERM'), 'gone', 'now empty');
    const own = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);
    assert.equal(await signalGroup(host, own, 'SIGTERM'), 'refused');
  });

  test('an unreadable /proc entry (hidepid=1) is denied, never gone, and is not signalled', async (t) => {
    const g = await start(['/bin/sleep', '60']);
    const mnt = join(dir, 'proc');
    mkdirSync(mnt);
    try {
      // A second proc instance with its own options (Linux ≥ 5.8), only for this test.
      execFileSync('mount', ['-t', 'proc', '-o', 'hidepid=1', 'proc', mnt]);
    } catch (e) {
      t.skip(`cannot mount a hidepid proc here: ${(e as Error).message}`);
      return;
    }
    try {
      const script = `import { createHost } from './src/host/host.ts';
import { readIdentity, signalIfSame } from './src/actions/process-control.ts';
const h = createHost({ platform: 'linux', procRoot: ${JSON.stringify(mnt)} });
console.log(JSON.stringify([await readIdentity(h, ${g.pid}), await signalIfSame(h, { pid: ${g.pid}, startKey: 1 }, 'SIGKILL', { protect: new Set() })]));`;
      const out = execFileSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
      assert.deepEqual(JSON.parse(out), ['denied', 'denied']);
      assert.ok(alive(g.pid), 'not signalled');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('the finder reaches a setsid escapee through the marker after its parent exited; a setsid stranger is not the run\'s', async () => {
    const runId = newRunId();
    const pf = join(dir, 'escape-pids');
    const stranger = await start(['/bin/sleep', '60']);
    const g = await start([PYTHON, join(ROOT, 'test', 'fixtures', 'bin', 'escape', 'setsid_escape.py'), pf], runId);
    const leader = await ref(g.pid);
    await g.exited;
    const escapee = Number(/^escapee (\d+)$/m.exec(readFileSync(pf, 'utf8'))![1]);
    tracked.add(escapee);
    const finder = createRunFinder(host, { runId, leader, pgid: g.pid });
    const found = await finder.sweep();
    assert.deepEqual(found.map((p) => p.pid), [escapee]);
    assert.equal(found[0]!.ppid, 1, 'orphaned, in its own session');
    const report = await terminate(host, () => finder.sweep(), { graceMs: 1000 });
    assert.deepEqual(report.results.map((r) => [r.target.pid, r.outcome]), [[escapee, 'terminated']]);
    assert.ok(alive(stranger.pid), 'the stranger lives');
  });

  test('listenersOf: the socket probe names what a pid listens on', async () => {
    const p = spawn(PYTHON, ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(1)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    tracked.add(p.pid!);
    groups.push(p.pid!);
    const port = Number(await new Promise<string>((r) => p.stdout!.once('data', (d: Buffer) => r(d.toString()))));
    const r = await listenersOf(host, [p.pid!]);
    assert.deepEqual(r, { listeners: [{ pid: p.pid!, address: '127.0.0.1', port }], unknown: null });
    assert.deepEqual((await listenersOf(host, [1])).listeners, [], 'pid 1 (the namespace shell) listens on nothing');
  });
}
