// The kinship model (docs/attribution.md) on the shapes users have, one test per situation of
// issue 8: wrappers, detached servers, subreapers and container inits, setsid'd pieces, fork
// copies, other projects. Sessions and groups are given as the kernel would have them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import type { ClassifiedProcess, Census } from '../../src/model/census.js';
import type { ProcessInfo } from '../../src/model/snapshot.js';
import { FORKSERVER, INIT, listen, OPTS, proc, PY, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';

const T = { sid: 900 }; // the terminal's session (SHELL leads it)
const P = '/home/u/proj';
const run = (procs: ProcessInfo[], o: Partial<typeof OPTS> = {}) => classify(snapshot(procs), { ...OPTS, projectRoot: P, ...o });
const by = (c: Census) => new Map<number, ClassifiedProcess>(c.processes.map((p) => [p.pid, p]));
const runOf = (c: Census, pid: number) => c.generations.find((g) => g.pids.includes(pid))!;

/** A server with a tracker and two spawn workers, started as a job of the terminal (its own group). */
function serverRun(pid: number, parent: number, start: number, more: Partial<ProcessInfo> = {}, sid = 900): ProcessInfo[] {
  const common = { sid, pgid: more.pgid ?? pid, cwd: P };
  return [
    proc(pid, parent, SERVER, { ...common, start, pipes: [pid * 10], ...more }),
    proc(pid + 1, pid, TRACKER, { ...common, start: start + 0.1, pipes: [pid * 10] }),
    proc(pid + 2, pid, SPAWN, { ...common, start: start + 0.2, pipes: [pid * 10] }),
    proc(pid + 3, pid, SPAWN, { ...common, start: start + 0.3, pipes: [pid * 10] }),
  ];
}

test('class 2: a wrapper is never the server; live, the run is running and nothing is an orphan', () => {
  const wrappers: Array<[string, string[], Partial<ProcessInfo>]> = [
    ['timeout', ['timeout', '3600', 'python', '-m', 'src.main'], { comm: 'timeout' }],
    ['/usr/bin/time', ['/usr/bin/time', 'python', '-m', 'src.main'], { comm: 'time' }],
    ["sh -c '…; echo'", ['/bin/sh', '-c', 'python -m src.main; echo done'], { comm: 'sh' }],
    ['poetry run', [PY, '/usr/bin/poetry', 'run', 'python', '-m', 'src.main'], { comm: 'poetry' }],
    ['rerun-doctor run', ['/usr/bin/node', '/opt/rd/dist/cli/bin.cjs', 'run', '--', 'python', '-m', 'src.main'], { comm: 'node' }],
    ['a script wrapping its command (no known name)', ['/opt/bin/with-gpu', 'python', '-m', 'src.main'], { comm: 'with-gpu' }],
  ];
  for (const [name, argv, more] of wrappers) {
    const c = run([INIT, SHELL, proc(800, 900, argv, { ...T, pgid: 800, start: 0.5, cwd: P, ...more }), ...serverRun(1000, 800, 1, { pgid: 800 })]);
    const m = by(c);
    assert.equal(m.get(800)!.role, 'launcher', `${name}: the wrapper is a launcher`);
    assert.equal(m.get(1000)!.role, 'server', `${name}: the interpreter is the server`);
    assert.ok(c.processes.every((p) => !p.orphan), `${name}: nothing is an orphan`);
    assert.equal(runOf(c, 1000).status, 'running', `${name}: running`);
    assert.equal(runOf(c, 800).id, runOf(c, 1000).id, `${name}: the wrapper is part of the run`);
  }
});

test('class 2: the wrapper SIGKILLed leaves the whole run, detached; the server\'s workers are with it, not fresh orphans', () => {
  // timeout did setpgid: its group 800 now has no leader; the server was re-parented to init.
  const c = run([INIT, SHELL, ...serverRun(1000, 1, 1, { pgid: 800 })]);
  const r = runOf(c, 1000);
  assert.equal(r.status, 'detached');
  assert.deepEqual(r.pids.sort(), [1000, 1001, 1002, 1003]);
  assert.equal(by(c).get(1000)!.orphan, true);
  assert.equal(by(c).get(1002)!.orphan, false, 'its workers are the server\'s, the server is the orphan');
});

test('class 2: a tmux server is a launcher only when dedicated; with other panes it is not part of the run', () => {
  const tmux = proc(700, 1, ['tmux', '-L', 'x', 'new', '-d', 'python -m src.main'], { pgid: 700, sid: 700, start: 0.1, comm: 'tmux: server' });
  const pane = proc(710, 700, ['sh', '-c', 'python -m src.main'], { pgid: 710, sid: 710, start: 0.2, comm: 'sh' });
  const dedicated = run([INIT, tmux, pane, ...serverRun(1000, 710, 1, { pgid: 710 }, 710)]);
  assert.equal(by(dedicated).get(700)!.role, 'launcher');
  assert.equal(runOf(dedicated, 1000).status, 'running', 'tmux detached itself on purpose (it leads its own session)');
  const other = proc(720, 700, ['-bash'], { pgid: 720, sid: 720, start: 0.3, comm: 'bash' });
  const shared = run([INIT, tmux, pane, other, ...serverRun(1000, 710, 1, { pgid: 710 }, 710)]);
  assert.equal(by(shared).get(700)!.role, null, 'a tmux server with another pane is not the run\'s');
  assert.equal(runOf(shared, 1000).status, 'running');
});

test('class 3: nohup … & from a script that exited: detached; beside a newer run: shadowed', () => {
  const alone = run([INIT, ...serverRun(1000, 1, 1)]);
  assert.equal(runOf(alone, 1000).status, 'detached');
  assert.equal(runOf(alone, 1000).shadowed, false);
  assert.match(runOf(alone, 1000).statusReason, /its launcher is gone .*server 1000 runs on with everything under it/);
  const beside = run([INIT, SHELL, ...serverRun(1000, 1, 1), ...serverRun(2000, 900, 600)]);
  assert.equal(runOf(beside, 1000).shadowed, true);
  assert.equal(runOf(beside, 2000).current, true);
});

test('class 4: another project\'s runs are "other", with their cwd; a process started from the project (PWD) is the project\'s', () => {
  const elsewhere = serverRun(1000, 900, 1).map((p) => ({ ...p, cwd: '/home/u/other' }));
  const c = run([INIT, SHELL, ...elsewhere, ...serverRun(2000, 900, 600)]);
  assert.equal(runOf(c, 1000).scope, 'other');
  assert.equal(runOf(c, 1000).cwd, '/home/u/other');
  assert.equal(runOf(c, 2000).scope, 'project');
  const byPwd = run([INIT, SHELL, ...serverRun(1000, 900, 1).map((p) => ({ ...p, cwd: '/', env: { PWD: `${P}/src` } }))]);
  assert.equal(runOf(byPwd, 1000).scope, 'project');
  const unreadable = run([INIT, SHELL, ...serverRun(1000, 900, 1).map((p) => ({ ...p, cwd: null, exe: null }))]);
  assert.equal(runOf(unreadable, 1000).scope, 'unknown');
});

test('class 5: tini, dumb-init, systemd --user start children too: alive, they are the starters, never adopters by name', () => {
  for (const [name, argv] of [['tini', ['/usr/bin/tini', '--', 'python', '-m', 'src.main']], ['dumb-init', ['/usr/bin/dumb-init', 'python', '-m', 'src.main']], ['systemd --user', ['/lib/systemd/systemd', '--user']]] as const) {
    const init = proc(50, 1, [...argv], { pgid: 50, sid: 50, start: -5, comm: name.split(' ')[0]! });
    const c = run([INIT, init, ...serverRun(1000, 50, 1, {}, 50)]);
    assert.ok(c.processes.every((p) => !p.adopted), `${name}: nobody was adopted`);
    assert.equal(runOf(c, 1000).status, 'running', `${name}: running`);
  }
  // systemd --user adopting a dead terminal's orphans: the session says so (it is not theirs).
  const sd = proc(50, 1, ['/lib/systemd/systemd', '--user'], { pgid: 50, sid: 50, start: -5, comm: 'systemd' });
  const adopted = run([INIT, sd, SHELL, ...serverRun(1000, 900, 1).slice(1).map((p) => ({ ...p, ppid: 50 }))]);
  assert.ok([1001, 1002, 1003].every((pid) => by(adopted).get(pid)!.orphan), 'orphans of the dead server under systemd --user');
  assert.equal(runOf(adopted, 1002).status, 'orphaned');
});

test('class 5: a container whose pid 1 is sh and the server pid 2; the server killed, its workers are orphans of it', () => {
  const sh = proc(1, 0, ['/bin/sh', '-c', 'python -m src.main'], { pgid: 1, sid: 1, start: 0, comm: 'sh' });
  const server = proc(2, 1, SERVER, { pgid: 1, sid: 1, start: 1, cwd: P, pipes: [5] });
  const workers = [proc(3, 2, TRACKER, { pgid: 1, sid: 1, start: 1.1, pipes: [5], cwd: P }), proc(4, 2, SPAWN, { pgid: 1, sid: 1, start: 1.2, pipes: [5], cwd: P })];
  const healthy = run([sh, server, ...workers]);
  assert.equal(by(healthy).get(2)!.role, 'server', 'pid 2 is an ordinary process here');
  assert.equal(by(healthy).get(1)!.role, 'launcher');
  assert.equal(runOf(healthy, 2).status, 'running');
  const killed = run([sh, ...workers.map((w) => ({ ...w, ppid: 1 }))]);
  assert.ok([3, 4].every((pid) => by(killed).get(pid)!.orphan), 'a multiprocessing child whose parent is sh, not Python');
  assert.match(by(killed).get(4)!.orphanReason!, /re-parented to 1 \(sh\), which is not Python/);
});

test('class 5: tini as a namespace\'s init seen from the host (NSpid 1): the dead group leader tells the orphans', () => {
  const tini = proc(4000, 3990, ['/usr/bin/tini', '--', 'python', '-m', 'src.main'], { pgid: 4000, sid: 4000, start: 0, comm: 'tini', nsPid: 1 });
  // The server (tini set its group) was killed; a fork copy of it holds on, in its dead group.
  const copy = proc(4003, 4000, SERVER, { pgid: 4001, sid: 4000, start: 1.2, cwd: P, socketInodes: [9] });
  const copy2 = proc(4004, 4000, SERVER, { pgid: 4001, sid: 4000, start: 1.3, cwd: P, socketInodes: [9] });
  const c = run([INIT, proc(3990, 1, ['containerd-shim'], { pgid: 3990, sid: 3990, start: -10, comm: 'containerd-shim' }), tini, copy, copy2]);
  assert.ok(by(c).get(4003)!.adopted, 'its group\'s leader is gone and its parent is the namespace\'s init');
  assert.equal(by(c).get(4003)!.kind, 'fork-worker', 'two copies of one server command line in a dead run: workers of a dead server');
  assert.equal(runOf(c, 4003).status, 'orphaned');
});

test('class 6: one SIGKILLed run is one run however many sessions: setsid\'d workers, torch_shm_manager', () => {
  const pieces = [
    proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1, pipes: [77], cwd: P }),
    proc(1002, 1, SPAWN, { sid: 1002, pgid: 1002, start: 1.1, pipes: [77], cwd: P }),
    proc(1003, 1, SPAWN, { sid: 1003, pgid: 1003, start: 1.2, pipes: [77], cwd: P }),
    proc(1004, 1, ['/usr/lib/python3/dist-packages/torch/bin/torch_shm_manager'], { sid: 1004, pgid: 1004, start: 1.5, comm: 'torch_shm_manage', cwd: P, env: { PWD: P } }),
  ];
  const withEnv = pieces.map((p) => ({ ...p, env: { PWD: P } }));
  const c = run([INIT, SHELL, ...withEnv]);
  assert.equal(c.generations.length, 1, c.generations.map((g) => `${g.id}:${g.pids}:${g.linkedBy}`).join(' | '));
  assert.equal(c.generations[0]!.status, 'orphaned');
  assert.deepEqual(c.generations[0]!.linkedBy.sort(), ['environment', 'pipe']);
  assert.equal(by(c).get(1004)!.kind, 'torch-shm-manager');
});

test('class 6: torch_shm_manager alone, whose client exited while the server runs, stays with the running run', () => {
  const mgr = proc(1050, 1, ['torch_shm_manager'], { sid: 1050, pgid: 1050, start: 50, comm: 'torch_shm_manage', cwd: '/', env: { PWD: P } });
  const live = serverRun(1000, 900, 1).map((p) => ({ ...p, env: { PWD: P } }));
  const c = run([INIT, SHELL, ...live, mgr]);
  assert.equal(runOf(c, 1050).id, runOf(c, 1000).id, 'attached to the running run by its environment');
  assert.equal(runOf(c, 1050).status, 'running');
  const alone = run([INIT, mgr]);
  assert.equal(runOf(alone, 1050).evidence, 'weak', 'alone it proves nothing: weak, never cleaned unasked');
});

test('class 6: fork copies of a killed gunicorn master are workers; a Node cluster\'s live workers are not orphans', () => {
  const gunicorn = ['/usr/bin/python3', '-m', 'gunicorn', '-w', '2', 'app:app'];
  const copies = [proc(1002, 1, gunicorn, { ...T, pgid: 1000, start: 1.1, socketInodes: [31], cwd: P }), proc(1003, 1, gunicorn, { ...T, pgid: 1000, start: 1.2, socketInodes: [31], cwd: P })];
  const dead = run([INIT, SHELL, ...copies], { serverPattern: /gunicorn/ });
  assert.deepEqual([1002, 1003].map((pid) => by(dead).get(pid)!.kind), ['fork-worker', 'fork-worker']);
  assert.equal(runOf(dead, 1002).status, 'orphaned');
  const node = ['/usr/bin/node', 'cluster.js'];
  const cluster = [proc(1000, 900, node, { ...T, pgid: 1000, start: 1, cwd: P, comm: 'node' }), proc(1001, 1000, node, { ...T, pgid: 1000, start: 1.1, cwd: P, comm: 'node' }), proc(1002, 1000, node, { ...T, pgid: 1000, start: 1.2, cwd: P, comm: 'node' })];
  const c = run([INIT, SHELL, ...cluster], { serverPattern: /node .*cluster/ });
  assert.equal(by(c).get(1001)!.kind, 'fork-worker');
  assert.ok(c.processes.every((p) => !p.orphan), 'a fork worker needs its server\'s executable, not Python');
  assert.equal(runOf(c, 1000).status, 'running');
});

test('class 1: an unrelated program\'s workers under its live main are one running run; its main killed, one orphaned run', () => {
  const main = proc(3000, 900, [PY, 'job.py'], { ...T, pgid: 3000, start: 700, cwd: P });
  const kids = [proc(3001, 3000, TRACKER, { ...T, pgid: 3000, start: 700.1, pipes: [9], cwd: P }), proc(3002, 3000, SPAWN, { ...T, pgid: 3000, start: 700.2, pipes: [9], cwd: P }), proc(3003, 3000, SPAWN, { ...T, pgid: 3000, start: 700.3, pipes: [9], cwd: P })];
  const live = run([INIT, SHELL, main, ...kids]);
  assert.equal(live.generations.length, 1);
  assert.equal(live.generations[0]!.status, 'running');
  assert.deepEqual(live.generations[0]!.startedBy, { pid: 3000, comm: 'python3' });
  const killed = run([INIT, SHELL, ...kids.map((k) => ({ ...k, ppid: 1 }))]);
  assert.equal(killed.generations.length, 1);
  assert.equal(killed.generations[0]!.status, 'orphaned');
});

test('adoption is evidence, not a name: a parent younger than its child; pid 1 that could have started it; ppid 0', () => {
  const younger = run([INIT, proc(1500, 1, [PY, 'other.py'], { sid: 1500, pgid: 1500, start: 50 }), proc(1002, 1500, SPAWN, { sid: 1500, pgid: 1500, start: 1 })]);
  assert.match(by(younger).get(1002)!.adoptedReason!, /re-parented to 1500 \(python3\), which started after it/);
  const service = run([INIT, proc(1000, 1, SERVER, { sid: 1000, pgid: 1000, start: 1, tty: null })]);
  assert.equal(by(service).get(1000)!.adopted, false, 'a session leader under init: pid 1 may well have started it');
  const fromOutside = run([proc(7, 0, SERVER, { sid: 0, pgid: 0, start: 1 })]);
  assert.equal(by(fromOutside).get(7)!.adopted, false, 'ppid 0 (docker exec): no evidence either way');
  const forkserver = run([INIT, SHELL, proc(1000, 900, SERVER, { ...T, pgid: 1000, start: 1 }), proc(1001, 1000, FORKSERVER, { ...T, pgid: 1000, start: 1.1, socketFds: [3] }), proc(1002, 1001, FORKSERVER, { ...T, pgid: 1000, start: 1.2, socketFds: [6] })]);
  assert.equal(by(forkserver).get(1002)!.kind, 'forkserver-worker');
  assert.ok(forkserver.processes.every((p) => !p.adopted), 'the forkserver (Python) started its workers');
});

test('a systemd unit\'s daemon (Type=forking: in its .service cgroup, adopted by the manager) runs on purpose; the same cgroup under another adopter does not', () => {
  const daemon = proc(1000, 1, SERVER, { sid: 990, pgid: 990, start: 1, cgroup: '/system.slice/infer.service', cwd: P });
  assert.equal(run([INIT, daemon]).generations[0]!.status, 'running');
  const ciInit = proc(1, 0, ['sandbox-init'], { sid: 1, pgid: 1, start: -1, comm: 'sandbox-init', cgroup: '/system.slice/ci.service' });
  assert.equal(run([ciInit, daemon]).generations[0]!.status, 'detached', 'inheriting the CI job\'s .service cgroup proves nothing');
});

test('a watched port held by a server of a dead run shows in its ports; the port report names its run', () => {
  const c = classify(snapshot([INIT, ...serverRun(1000, 1, 1)], [listen(50051, 9, [1002]), listen(8080, 10, [1000])]), { ...OPTS, projectRoot: P });
  assert.deepEqual(by(c).get(1002)!.ports, [50051]);
  assert.equal(runOf(c, 1002).status, 'detached');
});
