// The cleanup plan is pure: each run and each process in or out, with its reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCleanup, type PlanOptions } from '../../src/actions/plan-cleanup.js';
import { classify } from '../../src/census/classify.js';
import type { ProcessInfo } from '../../src/model/snapshot.js';
import { INIT, listen, OPTS, proc, PY, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';

// A terminal (session 900) with a live server job (pgid 2000), and a killed run (pgid 1000) whose
// workers and tracker were re-parented to init: in session 900, which init is not in.
const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600, cwd: '/p' }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];
const dead = [proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1, pipes: [7], cwd: '/p' }), proc(1002, 1, SPAWN, { ...T, pgid: 1000, start: 1.1, pipes: [7], cwd: '/p' }), proc(1003, 1, SPAWN, { ...T, pgid: 1000, start: 1.2, uid: 2000, pipes: [7], cwd: '/p' })];
const opts: PlanOptions = { selfPid: 99999, ancestors: [900], uid: 1000, allUsers: false, sudoUid: null };

function plan(processes: ProcessInfo[], o: PlanOptions = opts, root: string | null = '/p') {
  return planCleanup(classify(snapshot(processes), { ...OPTS, projectRoot: root }), o);
}

test('a dead run is in, helpers last; the running server and its workers are out, with reasons', () => {
  const p = plan([...live, ...dead.slice(0, 2)]);
  assert.deepEqual(p.targets.map((t) => [t.pid, t.phase]), [[1001, 'helpers'], [1002, 'processes']]);
  assert.ok(p.targets.every((t) => /re-parented to 1/.test(t.why) && t.startKey > 0 && t.run === 1), JSON.stringify(p.targets));
  assert.match(p.runs[0]!.why, /^left behind: its main process is gone/);
  const why = new Map(p.excluded.map((e) => [e.pid, e.why]));
  for (const pid of [2000, 2001, 2002]) assert.match(why.get(pid) ?? '', /left alone: running: started by bash 900/);
  assert.deepEqual(p.runs.map((r) => [r.id, r.status, r.decision]), [[1, 'orphaned', 'clean'], [2, 'running', 'leave']]);
});

test("another user's orphan is left alone; as root it needs --all-users", () => {
  const asUser = plan([...live, ...dead]);
  assert.ok(!asUser.targets.some((t) => t.pid === 1003), 'not signalled');
  assert.match(asUser.excluded.find((e) => e.pid === 1003)!.why, /another user's \(uid 2000\)/);
  const asRoot = plan([...live, ...dead], { ...opts, uid: 0 });
  assert.match(asRoot.excluded.find((e) => e.pid === 1003)!.why, /pass --all-users/);
  const all = plan([...live, ...dead], { ...opts, uid: 0, allUsers: true });
  assert.ok(all.targets.some((t) => t.pid === 1003), 'included with --all-users');
});

test('never: ourselves, our ancestors, zombies', () => {
  const self = proc(99999, 1, SPAWN, { ...T, pgid: 1000, start: 1.3, pipes: [7] });
  const ancestorOrphan = proc(901, 1, SPAWN, { ...T, pgid: 1000, start: 1.4, pipes: [7] });
  const zombie = proc(1004, 1002, [], { ...T, pgid: 1000, start: 1.5, state: 'Z', zombie: true, comm: 'python3' });
  const p = plan([...live, ...dead.slice(0, 2), ancestorOrphan, zombie, self], { ...opts, ancestors: [901] });
  assert.deepEqual(p.targets.map((t) => t.pid).sort(), [1001, 1002]);
  assert.match(p.excluded.find((e) => e.pid === 901)?.why ?? '', /rerun-doctor itself or one of its parents/);
  assert.match(p.excluded.find((e) => e.pid === 1004)?.why ?? '', /zombie/);
});

test("an unrelated program's workers under its live main are never planned (its run is running)", () => {
  const main = proc(3000, 900, [PY, 'job.py'], { ...T, pgid: 3000, start: 700, cwd: '/p' });
  const procs = [INIT, SHELL, main, proc(3001, 3000, TRACKER, { ...T, pgid: 3000, start: 700.1, pipes: [9] }), proc(3002, 3000, SPAWN, { ...T, pgid: 3000, start: 700.2, pipes: [9] }), proc(3003, 3000, SPAWN, { ...T, pgid: 3000, start: 700.3, pipes: [9] })];
  const p = plan(procs);
  assert.deepEqual(p.targets, []);
  assert.equal(p.runs.length, 1, 'one run: the main\'s');
  assert.match(p.runs[0]!.why, /running: started by python3 3000/);
});

test('a detached server (nohup, its launcher gone) is left alone unless --include-detached, --pid, or a newer run', () => {
  const srv = proc(1000, 1, SERVER, { ...T, pgid: 1000, start: 1, cwd: '/p' });
  const detached = [INIT, srv, proc(1001, 1000, TRACKER, { ...T, pgid: 1000, start: 1.1 }), proc(1002, 1000, SPAWN, { ...T, pgid: 1000, start: 1.2 })];
  const alone = plan(detached);
  assert.deepEqual(alone.targets, []);
  assert.equal(alone.runs[0]!.status, 'detached');
  assert.match(alone.runs[0]!.why, /--include-detached or --pid 1000/);
  assert.deepEqual(plan(detached, { ...opts, includeDetached: true }).targets.map((t) => t.pid).sort(), [1000, 1001, 1002]);
  assert.deepEqual(plan(detached, { ...opts, pids: [1000] }).targets.map((t) => t.pid).sort(), [1000, 1001, 1002]);
  const beside = plan([...detached, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600, cwd: '/p' })]);
  assert.deepEqual(beside.targets.map((t) => t.pid).sort(), [1000, 1001, 1002], 'a newer run beside it: left over');
  assert.ok(!beside.targets.some((t) => t.pid === 2000), 'the newer run stays');
});

test("another project's dead run is left unless --all-projects or --pid; --pid of a running process ends nothing", () => {
  const foreign = dead.slice(0, 2).map((p) => ({ ...p, cwd: '/elsewhere' }));
  const p = plan([...live, ...foreign]);
  assert.deepEqual(p.targets, []);
  assert.match(p.runs.find((r) => r.id === 1)!.why, /another project's \(cwd \/elsewhere\): pass --all-projects or --pid/);
  assert.deepEqual(plan([...live, ...foreign], { ...opts, allProjects: true }).targets.map((t) => t.pid).sort(), [1001, 1002]);
  assert.deepEqual(plan([...live, ...foreign], { ...opts, pids: [1002] }).targets.map((t) => t.pid).sort(), [1001, 1002]);
  const named = plan([...live, ...dead.slice(0, 2)], { ...opts, pids: [2002] });
  assert.ok(!named.targets.some((t) => t.pid >= 2000), 'a running run is never ended, named or not');
});

test('defence in depth: even if a run were wrongly judged dead, a process a live non-member started is refused', () => {
  // 1005 is tied to the dead run by its pipe, but its live shell started it (a renamed worker: no
  // fingerprint says otherwise), so its run is running...
  const mixed = [...live, ...dead.slice(0, 2), proc(1005, 900, ['ray::IDLE'], { ...T, pgid: 1005, start: 2, pipes: [7], cwd: '/p' })];
  const census = classify(snapshot(mixed), { ...OPTS, projectRoot: '/p' });
  const run = census.generations.find((g) => g.pids.includes(1005))!;
  assert.equal(run.status, 'running');
  assert.deepEqual(planCleanup(census, opts).targets, []);
  // ...and were the run status wrong (a bug elsewhere), the planner's own check still refuses it.
  const tampered = { ...census, generations: census.generations.map((g) => (g === run ? { ...g, status: 'orphaned' as const, dead: true } : g)) };
  const p = planCleanup(tampered, opts);
  assert.ok(!p.targets.some((t) => t.pid === 1005), 'never the process a live parent started');
  assert.match(p.excluded.find((e) => e.pid === 1005)!.why, /not left behind: its parent 900 \(bash\) started it and is alive/);
  assert.deepEqual(p.targets.map((t) => t.pid).sort(), [1001, 1002], 'the adopted ones are still planned');
});

test('docker-proxy is never planned, even in a dead run named with --pid or with --include-detached: the port is a container\'s', () => {
  // dockerd died (live-restore off, or killed): its proxy for `-p 50051:50051` was re-parented to init,
  // in dockerd's session: a detached "server" holding a watched port, by the census' reading.
  const proxy = proc(1500, 1, ['/usr/bin/docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', '50051', '-container-ip', '172.17.0.2', '-container-port', '50051'], { pgid: 800, sid: 800, tty: null, start: 5, comm: 'docker-proxy', uid: 0, exe: '/usr/bin/docker-proxy' });
  const census = classify(snapshot([INIT, SHELL, proxy], [listen(50051, 77, [1500])]), { ...OPTS, projectRoot: null });
  assert.ok(census.processes.find((p) => p.pid === 1500)!.generation !== null, 'the census puts it in a run (it holds a watched port)');
  for (const o of [{ includeDetached: true }, { pids: [1500] }, { pids: [1500], includeDetached: true, allProjects: true, allUsers: true, uid: 0 }]) {
    const p = planCleanup(census, { ...opts, ...o });
    assert.equal(p.runs.find((r) => r.id === census.processes.find((x) => x.pid === 1500)!.generation)!.decision, 'clean', `the run is decided clean (${JSON.stringify(o)}): only the per-process check stops it`);
    assert.deepEqual(p.targets, [], `nothing planned with ${JSON.stringify(o)}`);
    assert.match(p.excluded.find((e) => e.pid === 1500)?.why ?? '', /docker-proxy publishes a container's port \(:50051\): never signalled; stop the container instead/);
  }
});
