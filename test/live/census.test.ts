// Live: real Python multiprocessing servers on this machine, real sockets on 127.0.0.1 and ::.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { takeCensus } from '../../src/census/census.js';
import { portReports } from '../../src/census/ports.js';
import { createHost } from '../../src/host/host.js';
import type { Census } from '../../src/model/census.js';
import { cleanup, freePort, killAndReap, runCli, startServer, waitFor, waitListening, alive, PYTHON, type Started } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
const testStart = Date.now() - 1000;
after(async () => cleanup(tracked, groups));

const host = createHost();
const opts = (ports: number[]) => ({ serverPattern: /python.*-m src\.main/, workerPatterns: [], ports, generationGapSeconds: 30, projectRoot: null });

/** Orphans that started during this test file (strays on a developer's machine are not ours to judge). */
const newOrphans = (c: Census) => c.processes.filter((p) => p.orphan && Date.parse(p.startTime) >= testStart).map((p) => p.pid).sort((a, b) => a - b);
const sorted = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).sort((a, b) => a - b);

async function start(args: string[], extra: { launcher?: string[] } = {}): Promise<Started> {
  const s = await startServer(args, tracked, extra);
  groups.push(s.pgid);
  return s;
}

for (const method of ['spawn', 'forkserver'] as const) {
  test(`${method}: main SIGKILLed → exactly its workers and helpers are orphans, and they still hold the port`, async () => {
    const [wport, mport] = [await freePort(), await freePort()];
    const s = await start(['--workers', '2', '--start-method', method, '--worker-port', String(wport), '--port', String(mport)]);
    await waitListening([wport, mport]);
    const live = await takeCensus(host, opts([wport, mport]));
    const mine = live.processes.filter((p) => p.pgid === s.pgid);
    assert.equal(mine.find((p) => p.pid === s.main)?.role, 'server');
    for (const w of s.workers) assert.equal(mine.find((p) => p.pid === w)?.role, 'worker', `worker ${w}`);
    assert.equal(mine.find((p) => p.pid === s.tracker)?.kind, 'resource-tracker');
    if (method === 'forkserver') assert.equal(mine.find((p) => p.pid === s.forkserver)?.kind, 'forkserver');
    assert.deepEqual(newOrphans(live), [], 'no orphans while the server runs');
    assert.equal(new Set(mine.map((p) => p.generation)).size, 1, 'one run');

    await killAndReap(s);
    // The forkserver start method: the forkserver outlives the main as long as its children do.
    const expected = sorted([...s.workers, s.tracker, method === 'forkserver' ? s.forkserver : null]);
    const { stdout, code } = await runCli(['procs', '--json', '--port', `${wport},${mport}`]);
    assert.equal(code, 1, 'procs exits 1 when there are orphans');
    const json = JSON.parse(stdout) as { schemaVersion: number; processes: Array<{ pid: number; orphan: boolean; role: string; startTime: string; generation: number; ppid: number; pgid: number; argv: string[] }> };
    assert.equal(json.schemaVersion, 2);
    const reported = json.processes.filter((p) => p.orphan && Date.parse(p.startTime) >= testStart).map((p) => p.pid).sort((a, b) => a - b);
    assert.deepEqual(reported, expected);
    const orphanRows = json.processes.filter((p) => expected.includes(p.pid));
    assert.equal(new Set(orphanRows.map((p) => p.generation)).size, 1, 'the orphans are one run');
    assert.ok(orphanRows.every((p) => p.argv.length > 0 && p.pgid === s.pgid), 'orphanRows.every((p) => p.argv.length > 0 && p.pgid === s.pgid)');
    assert.ok(!json.processes.some((p) => p.pid === s.main), 'the dead main is not listed');

    const ports = await runCli(['ports', String(wport), '--json']);
    assert.equal(ports.code, 1, 'a watched port held by an orphan exits 1');
    const pj = JSON.parse(ports.stdout) as { ports: Array<{ port: number; topology: string; heldByOrphan: boolean; sockets: Array<{ id: string; owners: Array<{ pid: number; orphan: boolean; role: string }> }> }> };
    const p = pj.ports[0]!;
    assert.equal(p.port, wport);
    assert.equal(p.heldByOrphan, true);
    assert.equal(p.sockets.length, 2, 'each worker bound its own SO_REUSEPORT socket');
    assert.equal(new Set(p.sockets.map((x) => x.id)).size, 2);
    assert.deepEqual(sorted(p.sockets.flatMap((x) => x.owners.map((o) => o.pid))), sorted(s.workers));
    assert.ok(p.sockets.every((x) => x.owners.every((o) => o.orphan && o.role === 'worker')), 'p.sockets.every((x) => x.owners.every((o) => o.orphan && o.role === \'worker\'))');
    const mp = await runCli(['ports', String(mport), '--json']);
    assert.equal(mp.code, 0);
    assert.equal((JSON.parse(mp.stdout) as { ports: Array<{ topology: string }> }).ports[0]!.topology, 'free', "the main's own port died with it");
    await cleanup(new Set(expected), [s.pgid]);
  });
}

test('two servers on one port with SO_REUSEPORT: two separate sockets, two runs', async () => {
  const port = await freePort();
  const a = await start(['--workers', '1', '--port', String(port), '--reuseport']);
  const b = await start(['--workers', '1', '--port', String(port), '--reuseport']);
  await waitListening([port]);
  const c = await takeCensus(host, opts([port]));
  const [r] = portReports(c, [port], [port]);
  assert.equal(r!.topology, 'duplicated');
  assert.equal(r!.sockets.length, 2);
  assert.notEqual(r!.sockets[0]!.id, r!.sockets[1]!.id);
  assert.deepEqual(sorted(r!.sockets.map((x) => x.owners.map((o) => o.pid)).map((o) => (o.length === 1 ? o[0]! : -1))), sorted([a.main, b.main]));
  assert.equal(r!.runs.length, 2, 'held by two different runs');
  const text = await runCli(['ports', String(port)]);
  assert.equal(text.code, 0, 'no orphan holds it');
  assert.match(text.stdout, /2 SEPARATE SOCKETS on one address \(SO_REUSEPORT\) held by different runs/);
});

test('a socket inherited by forked workers: one socket, several owners', async () => {
  const port = await freePort();
  const s = await start(['--workers', '2', '--start-method', 'fork', '--inherit', '--port', String(port)]);
  await waitListening([port]);
  const c = await takeCensus(host, opts([port]));
  const [r] = portReports(c, [port], [port]);
  assert.equal(r!.topology, 'inherited');
  assert.equal(r!.sockets.length, 1);
  assert.deepEqual(sorted(r!.sockets[0]!.owners.map((o) => o.pid)), sorted([s.main, ...s.workers]));
  const roles = new Map(c.processes.map((p) => [p.pid, p]));
  assert.equal(roles.get(s.main)?.role, 'server');
  for (const w of s.workers) {
    assert.equal(roles.get(w)?.role, 'worker');
    assert.equal(roles.get(w)?.kind, 'fork-worker', 'a fork child with the server argv is a worker, not a second server');
  }
});

test('a server shut down cleanly (Ctrl-C): nothing reported', async () => {
  const [wport, mport] = [await freePort(), await freePort()];
  const s = await start(['--workers', '2', '--worker-port', String(wport), '--metrics-port', String(mport)]);
  await waitListening([wport, mport]);
  const pids = sorted([s.main, ...s.workers, s.tracker]);
  await killAndReap(s, 'SIGINT');
  await waitFor(() => pids.every((p) => !alive(p)), 'the clean shutdown to finish');
  const c = await takeCensus(host, opts([wport, mport]));
  // pid 1 reaps the exited helpers when it gets to it: a zombie for a moment is not a survivor.
  assert.deepEqual(c.processes.filter((p) => p.pgid === s.pgid && !p.zombie), []);
  assert.deepEqual(newOrphans(c), []);
  for (const r of portReports(c, [wport, mport], [wport, mport])) assert.equal(r.topology, 'free');
  const cli = await runCli(['ports', String(wport), String(mport)]);
  assert.equal(cli.code, 0);
});

test('a server whose launcher died is an orphan server holding its port; its workers are not orphans', async () => {
  const port = await freePort();
  // A launcher shell (as `uv run` or an IDE wrapper) that is killed while the server lives on.
  const s = await start([], { launcher: ['/bin/sh', '-c', `${PYTHON} -m src.main --workers 1 --port ${port} & wait`] });
  await waitListening([port]);
  process.kill(s.pgid, 'SIGKILL');
  await new Promise<void>((r) => (s.child.exitCode !== null || s.child.signalCode !== null ? r() : s.child.once('exit', () => r())));
  const c = await takeCensus(host, opts([port]));
  const server = c.processes.find((p) => p.role === 'server' && p.pgid === s.pgid);
  assert.ok(server, 'server found');
  tracked.add(server.pid);
  assert.equal(server.orphan, true, server.orphanReason ?? '');
  const workers = c.processes.filter((p) => p.ppid === server.pid && p.role === 'worker');
  assert.ok(workers.length >= 1, 'workers.length >= 1');
  for (const w of workers) {
    tracked.add(w.pid);
    assert.equal(w.orphan, false, 'its parent (the server) is alive');
  }
  const cli = await runCli(['ports', String(port)]);
  assert.equal(cli.code, 1);
  assert.match(cli.stdout, /HELD BY AN ORPHAN/);
});

test('runs: an orphaned run and the rerun beside it are told apart', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  const first = await start(['--workers', '2', '--worker-port', String(p1)]);
  await waitListening([p1]);
  await killAndReap(first);
  const second = await start(['--workers', '2', '--worker-port', String(p2)]);
  await waitListening([p2]);
  const c = await takeCensus(host, opts([p1, p2]));
  const gen = (pid: number) => c.processes.find((p) => p.pid === pid)?.generation;
  const g1 = gen(first.workers[0]!);
  const g2 = gen(second.main);
  assert.ok(g1 && g2 && g1 < g2, `older run first (${g1} < ${g2})`);
  for (const w of first.workers) assert.equal(gen(w), g1);
  assert.equal(gen(first.tracker!), g1);
  for (const w of second.workers) assert.equal(gen(w), g2);
  assert.equal(gen(second.tracker!), g2);
  const gens = new Map(c.generations.map((g) => [g.id, g]));
  assert.equal(gens.get(g1)!.status, 'orphaned');
  assert.equal(gens.get(g2)!.status, 'running');
  assert.equal(gens.get(g2)!.current, true);
  const text = await runCli(['procs', '--port', `${p1},${p2}`]);
  assert.match(text.stdout, /ORPHANED: its main process is gone/);
  assert.match(text.stdout, new RegExp(`running, server ${second.main}`));
});

test('dual-stack [::] listener (only in /proc/net/tcp6) is found with its owner', async () => {
  const port = await freePort('::');
  const s = await start(['--workers', '1', '--host', '::', '--port', String(port)]);
  await waitListening([port]);
  const c = await takeCensus(host, opts([port]));
  const [r] = portReports(c, [port], [port]);
  assert.equal(r!.sockets.length, 1);
  assert.equal(r!.sockets[0]!.address, '::');
  assert.equal(r!.sockets[0]!.family, 6);
  assert.deepEqual(r!.sockets[0]!.owners.map((o) => o.pid), [s.main]);
});
