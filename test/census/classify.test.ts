import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { portReports, topologyOf } from '../../src/census/ports.js';
import type { ClassifiedProcess } from '../../src/model/census.js';
import { FORKSERVER, INIT, listen, OPTS, proc, PY, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';

const by = (ps: ClassifiedProcess[]) => new Map(ps.map((p) => [p.pid, p]));

test('a live server with spawn workers and its tracker: roles, no orphans, one run', () => {
  const c = classify(snapshot([INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000 }), proc(1001, 1000, TRACKER, { pgid: 1000 }), proc(1002, 1000, SPAWN, { pgid: 1000 }), proc(1003, 1000, SPAWN, { pgid: 1000 })]), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1000)!.role, 'server');
  assert.equal(m.get(1001)!.kind, 'resource-tracker');
  assert.equal(m.get(1001)!.role, 'helper');
  assert.equal(m.get(1002)!.kind, 'spawn-worker');
  assert.equal(m.get(900)!.role, null);
  assert.equal(m.get(1)!.role, null);
  assert.ok(c.processes.every((p) => !p.orphan), 'c.processes.every((p) => !p.orphan)');
  assert.equal(c.generations.length, 1);
  assert.equal(c.generations[0]!.status, 'running');
  assert.equal(c.generations[0]!.current, true);
  assert.deepEqual(c.generations[0]!.startedBy, { pid: 900, comm: 'bash' });
  assert.deepEqual(c.generations[0]!.counts, { server: 1, worker: 2, helper: 1, launcher: 0 });
});

// [name, processes, pid under test, expected orphan]
const orphanCases: Array<[string, ReturnType<typeof proc>[], number, boolean]> = [
  ['spawn worker reparented to pid 1', [INIT, proc(1002, 1, SPAWN, { pgid: 1000 })], 1002, true],
  ['resource tracker reparented to pid 1', [INIT, proc(1001, 1, TRACKER, { pgid: 1000 })], 1001, true],
  ['spawn worker under a live Python parent that is not our server (a notebook)', [INIT, proc(500, 1, [PY, '-m', 'ipykernel_launcher'], { start: -10 }), proc(1002, 500, SPAWN)], 1002, false],
  ['spawn worker adopted by systemd --user (a subreaper, not pid 1)', [INIT, proc(300, 1, ['/lib/systemd/systemd', '--user'], { start: -900, comm: 'systemd' }), proc(1002, 300, SPAWN)], 1002, true],
  ['spawn worker adopted by a shell subreaper (vLLM on WSL2: the launching shell)', [INIT, SHELL, proc(1002, 900, SPAWN)], 1002, true],
  ['worker whose parent started after it (the parent cannot be its launcher)', [INIT, proc(1002, 1500, SPAWN, { start: 1 }), proc(1500, 1, [PY, 'other.py'], { start: 5 })], 1002, true],
  ['worker whose parent pid is gone from the table (read mid-reparent)', [INIT, proc(1002, 4242, SPAWN)], 1002, true],
  ['server at ppid 1 that is its own session leader (a service)', [INIT, proc(1000, 1, SERVER, { pgid: 1000, sid: 1000, tty: null })], 1000, false],
  ['server at ppid 1 in a systemd .service cgroup', [INIT, proc(1000, 1, SERVER, { pgid: 1000, sid: 77, cgroup: '/system.slice/infer.service' })], 1000, false],
  ['server at ppid 1 whose launcher (a terminal session) is gone', [INIT, proc(1000, 1, SERVER, { pgid: 1000, sid: 900 })], 1000, true],
  ['server under its live shell', [INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000, sid: 900 })], 1000, false],
  ['zombie worker: a reaping bug, not an orphan', [INIT, proc(1002, 1, [], { comm: 'python3', state: 'Z', zombie: true })], 1002, false],
  ['renamed ray worker under raylet', [INIT, proc(400, 1, ['/opt/ray/raylet'], { start: -100, sid: 400, pgid: 400 }), proc(1002, 400, ['ray::IDLE'])], 1002, false],
  ['renamed vLLM engine (comm cut to 15 chars) at pid 1, in the dead server\'s session', [INIT, proc(1002, 1, ['VLLM::EngineCore'], { comm: 'VLLM::EngineCor', sid: 900, pgid: 1000 })], 1002, true],
  ['renamed vLLM engine at pid 1 that init could have started (no evidence): not an orphan', [INIT, proc(1002, 1, ['VLLM::EngineCore'], { comm: 'VLLM::EngineCor', sid: 1, pgid: 1 })], 1002, false],
];

for (const [name, procs, pid, expected] of orphanCases) {
  test(`orphan: ${name} → ${expected}`, () => {
    const c = classify(snapshot(procs), OPTS);
    const p = by(c.processes).get(pid)!;
    assert.ok(p.role !== null || p.zombie, `pid ${pid} has a role`);
    assert.equal(p.orphan, expected, p.orphanReason ?? 'no reason');
    if (expected) assert.ok(p.orphanReason && p.orphanReason.length > 10, 'p.orphanReason && p.orphanReason.length > 10');
  });
}

test('macOS: launchd job at ppid 1 with no tty leading its group is a service; one with a tty is an orphan', () => {
  const launchd = proc(1, 0, ['/sbin/launchd'], { start: -1000, sid: null, tty: null, pgid: 1, comm: 'launchd' });
  const svc = proc(1000, 1, SERVER, { sid: null, tty: null, pgid: 1000 });
  const term = proc(2000, 1, SERVER, { sid: null, tty: 'ttys002', pgid: 2000 });
  const m = by(classify(snapshot([launchd, svc, term], [], 'darwin'), OPTS).processes);
  assert.equal(m.get(1000)!.orphan, false);
  assert.equal(m.get(2000)!.orphan, true);
  assert.match(m.get(2000)!.orphanReason!, /launchd/);
});

test('fork workers carry the server argv: workers, not extra servers', () => {
  const c = classify(snapshot([INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000 }), proc(1001, 1000, SERVER, { pgid: 1000 }), proc(1002, 1000, SERVER, { pgid: 1000 })]), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1000)!.role, 'server');
  assert.equal(m.get(1001)!.kind, 'fork-worker');
  assert.equal(m.get(1002)!.role, 'worker');
});

test('forkserver: its children carry its argv; after the main dies all are orphans, as one run', () => {
  const procs = [INIT, proc(1001, 1, TRACKER, { pgid: 1000 }), proc(1002, 1, FORKSERVER, { pgid: 1000, socketFds: [3] }), proc(1003, 1002, FORKSERVER, { pgid: 1000, socketFds: [6] }), proc(1004, 1002, FORKSERVER, { pgid: 1000 })];
  const c = classify(snapshot(procs), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1002)!.kind, 'forkserver');
  assert.equal(m.get(1003)!.kind, 'forkserver-worker');
  assert.equal(m.get(1004)!.kind, 'forkserver-worker', 'by parentage when no fd evidence');
  for (const pid of [1001, 1002, 1003, 1004]) assert.equal(m.get(pid)!.orphan, true, `pid ${pid}`);
  assert.match(m.get(1003)!.orphanReason!, /forkserver 1002 is orphaned/);
  assert.equal(c.generations.length, 1, 'the dead leader 1000 names the run');
});

test('a forkserver worker whose forkserver exited is told apart by its fds', () => {
  const c = classify(snapshot([INIT, proc(1003, 1, FORKSERVER, { pgid: 1000, socketFds: [6] }), proc(1005, 1, FORKSERVER, { pgid: 1000, socketFds: [3] })]), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1003)!.kind, 'forkserver-worker');
  assert.equal(m.get(1005)!.kind, 'forkserver', 'holds its listener on fd 3 as main(3, …) says');
});

test('a watched port makes its holder a server, even when not Python; a service holding it is not an orphan', () => {
  const nginx = proc(700, 1, ['nginx: master process /usr/sbin/nginx'], { pgid: 700, sid: 700, tty: null, comm: 'nginx' });
  const c = classify(snapshot([INIT, nginx], [listen(8080, 55, [700])]), OPTS);
  const p = by(c.processes).get(700)!;
  assert.equal(p.role, 'server');
  assert.equal(p.kind, 'port-holder');
  assert.deepEqual(p.ports, [8080]);
  assert.equal(p.orphan, false);
});

test('the tool itself is never classified', () => {
  const snap = snapshot([INIT, proc(99999, 1, [PY, '-m', 'src.main'])]);
  assert.equal(by(classify(snap, OPTS).processes).get(99999)!.role, null);
});

test('worker patterns from the config classify renamed workers', () => {
  const c = classify(snapshot([INIT, proc(1002, 1, ['my-model-shard', '--rank', '0'], { sid: 900, pgid: 1000 })]), { ...OPTS, workerPatterns: [/^my-model-shard/] });
  const p = by(c.processes).get(1002)!;
  assert.equal(p.kind, 'pattern-worker');
  assert.equal(p.orphan, true);
});

test('runs: orphans of one dead group leader are one run; a rerun in another group is another', () => {
  const procs = [
    INIT,
    SHELL,
    proc(1001, 1, TRACKER, { pgid: 1000, start: 1 }),
    proc(1002, 1, SPAWN, { pgid: 1000, start: 1.2 }),
    proc(1003, 1, SPAWN, { pgid: 1000, start: 1.3 }),
    proc(2000, 900, SERVER, { pgid: 2000, start: 100 }),
    proc(2001, 2000, TRACKER, { pgid: 2000, start: 100.1 }),
    proc(2002, 2000, SPAWN, { pgid: 2000, start: 100.2 }),
  ];
  const c = classify(snapshot(procs), OPTS);
  const m = by(c.processes);
  assert.deepEqual([1001, 1002, 1003].map((p) => m.get(p)!.generation), [1, 1, 1]);
  assert.deepEqual([2000, 2001, 2002].map((p) => m.get(p)!.generation), [2, 2, 2]);
  assert.equal(c.generations[0]!.status, 'orphaned');
  assert.equal(c.generations[1]!.status, 'running');
  assert.equal(c.generations[1]!.current, true);
  assert.deepEqual(c.generations[0]!.linkedBy, ['pgid']);
});

test('runs: without pipe evidence, pieces of a live launcher group split by start-time gaps', () => {
  const ide = proc(800, 1, ['/opt/ide/ide'], { pgid: 800, sid: 800, start: -100, comm: 'ide' });
  const procs = [INIT, ide, proc(1002, 1, SPAWN, { pgid: 800, start: 10 }), proc(1003, 1, SPAWN, { pgid: 800, start: 11 }), proc(3002, 1, SPAWN, { pgid: 800, start: 500 })];
  const c = classify(snapshot(procs), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1002)!.generation, m.get(1003)!.generation);
  assert.notEqual(m.get(1002)!.generation, m.get(3002)!.generation);
});

test('runs: a pipe shared by a run ties it, across groups too (setsid); a launcher-held pipe does not', () => {
  const launcher = proc(800, 1, ['/usr/bin/node', 'runner.js'], { pgid: 800, sid: 800, start: -100, comm: 'node', pipes: [77] });
  const procs = [
    INIT,
    launcher,
    proc(1000, 800, SERVER, { pgid: 1000, start: 1, pipes: [77, 10] }),
    proc(1001, 1, SPAWN, { pgid: 1000, start: 2, pipes: [10] }),
    proc(2000, 800, SERVER, { pgid: 2000, start: 3, pipes: [77, 20] }),
    proc(2001, 1, SPAWN, { pgid: 2001, sid: 2001, start: 4, pipes: [10] }),
  ];
  const c = classify(snapshot(procs), OPTS);
  const m = by(c.processes);
  assert.equal(m.get(1000)!.generation, m.get(1001)!.generation, 'tied by pipe 10 in group 1000');
  assert.notEqual(m.get(1000)!.generation, m.get(2000)!.generation, 'pipe 77 is the launcher\'s');
  assert.equal(m.get(2001)!.generation, m.get(1000)!.generation, 'a worker that left the group (setsid) is tied by its run\'s pipe 10');
});

test('classify is pure: same input, same output, input untouched', () => {
  const snap = snapshot([INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000 }), proc(1002, 1, SPAWN, { pgid: 1000 })], [listen(50051, 9, [1002])]);
  const before = JSON.stringify(snap);
  const a = JSON.stringify(classify(snap, OPTS));
  const b = JSON.stringify(classify(snap, OPTS));
  assert.equal(a, b);
  assert.equal(JSON.stringify(snap), before);
});

test('port topology: free, single, inherited, duplicated (SO_REUSEPORT), separate', () => {
  assert.equal(topologyOf([]), 'free');
  assert.equal(topologyOf([listen(1, 1, [10])]), 'single');
  assert.equal(topologyOf([listen(1, 1, [10, 11, 12])]), 'inherited');
  assert.equal(topologyOf([listen(1, 1, [10]), listen(1, 2, [11])]), 'duplicated');
  assert.equal(topologyOf([listen(1, 1, [10], '0.0.0.0'), listen(1, 2, [11], '127.0.0.1')]), 'duplicated', 'a wildcard overlaps a specific address');
  assert.equal(topologyOf([listen(1, 1, [10], '127.0.0.1'), listen(1, 2, [10], '::1')]), 'separate', 'v4 and v6 loopback are different addresses');
  assert.equal(topologyOf([listen(1, 1, [10], '127.0.0.1'), listen(1, 2, [10], '127.0.0.2')]), 'separate');
});

test('port reports: every owner with role, orphan flag, run and ancestry; an ownerless socket is kept', () => {
  const procs = [INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000 }), proc(1002, 1, SPAWN, { pgid: 1500 })];
  const c = classify(snapshot(procs, [listen(50051, 9, [1000]), listen(50051, 10, [1002]), listen(8080, 11, [])]), OPTS);
  const [grpc, metrics] = portReports(c, [50051, 8080], [50051, 8080]);
  assert.equal(grpc!.topology, 'duplicated');
  assert.equal(grpc!.heldByOrphan, true);
  assert.equal(grpc!.runs.length, 2);
  const orphanOwner = grpc!.sockets[1]!.owners[0]!;
  assert.equal(orphanOwner.pid, 1002);
  assert.equal(orphanOwner.orphan, true);
  assert.deepEqual(orphanOwner.ancestry, [{ pid: 1, comm: 'systemd' }]);
  assert.deepEqual(grpc!.sockets[0]!.owners[0]!.ancestry.map((a) => a.pid), [900, 1]);
  assert.equal(metrics!.sockets[0]!.owners.length, 0);
  assert.equal(metrics!.heldByOrphan, false);
});

test('count trend: a repeated count is not a run; two increases in the tail are growth', async () => {
  const { trend } = await import('../../src/census/count.js');
  const h = (kind: 'before' | 'after', total: number) => ({ schemaVersion: 1, kind, takenAt: '', summary: { total, byRole: { server: 0, worker: 0, helper: 0 }, orphans: 0, zombies: 0, runs: 0, liveServers: 0 }, expected: null, unexplained: null });
  assert.deepEqual(trend([h('before', 0), h('after', 4), h('after', 3), h('after', 6), h('after', 9), h('after', 9)]), { counts: [4, 3, 6, 9, 9], tail: [3, 6, 9, 9], growing: true, perRun: 3 });
  assert.equal(trend([h('after', 3), h('after', 3), h('after', 3)]).growing, false);
  assert.equal(trend([h('after', 3), h('after', 6), h('after', 0)]).growing, false, 'cleaned up: the tail restarts');
  assert.equal(trend([h('after', 3), h('after', 6)]).growing, false, 'one increase is not a trend');
});

test('assignRoles keeps each command line\'s verdict between the calls of one census, and matches again what changed: a new argv, a new comm, other patterns', async () => {
  const { assignRoles } = await import('../../src/census/classify.js');
  const rows = [INIT, SHELL, proc(1000, 900, SERVER, { pgid: 1000 }), proc(1002, 1000, SPAWN, { pgid: 1000 }), proc(1100, 900, [PY, 'other.py'])];
  const first = assignRoles(rows, [], OPTS, 4242);
  assert.equal(first.get(1000)?.role, 'server');
  assert.equal(first.get(1100), undefined);
  // The same rows again (the census's second call): the same roles, and no command line matched again.
  const pattern = new RegExp(OPTS.serverPattern.source);
  let tested = 0;
  const test0 = pattern.test.bind(pattern);
  pattern.test = (t: string) => (tested++, test0(t));
  const counted = { ...OPTS, serverPattern: pattern };
  assert.deepEqual(assignRoles(rows, [], counted, 4242), first);
  assert.ok(tested >= 3, `the first call matched ${tested} command lines`);
  const once = tested;
  assert.deepEqual(assignRoles(rows, [], counted, 4242), first);
  assert.equal(tested, once, 'the second call matched no command line again');
  // A new command line is a new array: matched again, not taken from the first call.
  rows[4] = { ...rows[4]!, argv: [...SERVER] };
  assert.equal(assignRoles(rows, [], OPTS, 4242).get(1100)?.role, 'server');
  // The same (empty) argv array with another comm: the comm is the command then, matched again.
  const empty: string[] = [];
  const withComm = { ...OPTS, workerPatterns: [/^infer-worker$/] };
  const table = [INIT, proc(1200, 1, empty, { comm: 'bash' })];
  assert.equal(assignRoles(table, [], withComm, 4242).get(1200), undefined);
  table[1] = { ...table[1]!, comm: 'infer-worker' };
  assert.equal(table[1].argv, empty);
  assert.equal(assignRoles(table, [], withComm, 4242).get(1200)?.kind, 'pattern-worker');
  // Other patterns, the same rows: matched against those.
  const other = { ...OPTS, serverPattern: /other\.py/ };
  assert.equal(assignRoles(rows.slice(0, 4).concat(proc(1300, 900, [PY, 'other.py'])), [], other, 4242).get(1300)?.role, 'server');
  assert.equal(assignRoles(rows, [], { ...OPTS, workerPatterns: [/other\.py|src\.main/] }, 4242).get(1000)?.role, 'worker');
});
