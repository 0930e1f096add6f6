// The shared-memory judge (src/census/shm.ts), pure, on built censuses: which segments are leaked,
// whose, and every reason one is not (held, a live creator, a live run that may own it, holders
// out of view). The rule and `clean --shm` both stand on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { judgeShm, SHM_JUDGE_DEFAULTS, type ShmJudgement } from '../../src/census/shm.js';
import type { ProcessInfo } from '../../src/model/snapshot.js';
import { INIT, OPTS, proc, PY, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';
import { seg, shmOf } from '../helpers/shm.js';

const T = { sid: 900 };
/** A run the terminal started at `start`, alive: main, tracker, worker. */
const liveRun = (pgid: number, start: number) => [proc(pgid, 900, SERVER, { ...T, pgid, start }), proc(pgid + 1, pgid, TRACKER, { ...T, pgid, start: start + 0.1 }), proc(pgid + 2, pgid, SPAWN, { ...T, pgid, start: start + 0.2 })];
/** A run whose main was SIGKILLed with its tracker: one worker left, re-parented to init. */
const deadRun = (pgid: number, start: number, more: Partial<ProcessInfo> = {}) => [proc(pgid + 2, 1, SPAWN, { ...T, pgid, start: start + 0.2, ...more })];

function judge(procs: ProcessInfo[], segments: Parameters<typeof shmOf>[0], more: Parameters<typeof shmOf>[1] = {}, o = SHM_JUDGE_DEFAULTS, projectRoot: string | null = null): Map<string, ShmJudgement> {
  const census = classify(snapshot([INIT, SHELL, ...procs]), { ...OPTS, projectRoot });
  return new Map(judgeShm(shmOf(segments, more), census, o).map((j) => [j.segment.name, j]));
}

test('held by a live run: in use; held only by a dead run: free once it is ended', () => {
  const j = judge([...liveRun(2000, 600), ...deadRun(1000, 10)], [seg('psm_live', { made: 601, holders: [2002] }), seg('psm_dead', { made: 11, holders: [1002] }), seg('psm_both', { made: 11, holders: [1002, 2002] })]);
  assert.equal(j.get('psm_live')!.state, 'in-use');
  assert.match(j.get('psm_live')!.why, /pid 2002 \(worker\/spawn-worker, run 2, running\) maps it/);
  assert.equal(j.get('psm_dead')!.state, 'held-by-dead-run');
  assert.deepEqual([j.get('psm_dead')!.runs, j.get('psm_dead')!.pids, j.get('psm_dead')!.owner], [[1], [1002], 'project']);
  assert.equal(j.get('psm_both')!.state, 'in-use', 'a live run holding it too keeps it in use');
});

test("unheld, made while a dead run of the project was alive, no live run then: leaked, the project's", () => {
  const j = judge([...deadRun(1000, 10), ...liveRun(2000, 600)], [seg('psm_a', { made: 12 }), seg('sem.mp-x', { made: 12.5, changed: 13 })]);
  for (const name of ['psm_a', 'sem.mp-x']) {
    assert.equal(j.get(name)!.state, 'leaked', name);
    assert.equal(j.get(name)!.owner, 'project');
    assert.deepEqual(j.get(name)!.runs, [1]);
    assert.match(j.get(name)!.why, /while dead run 1 \(orphaned, this project's\) was alive, and no live run was/);
  }
});

test('a live run that was there when it was last written: maybe in use (closed, to be reopened, or kept by its tracker), never leaked', () => {
  const j = judge([...liveRun(2000, 600), ...deadRun(1000, 10)], [seg('psm_late', { made: 12, changed: 700 }), seg('psm_during', { made: 650 })]);
  for (const name of ['psm_late', 'psm_during']) {
    assert.equal(j.get(name)!.state, 'maybe-in-use', name);
    assert.deepEqual(j.get(name)!.runs, [2]);
  }
  assert.match(j.get('psm_during')!.why, /run 2 \(running; pid 2000 \(server\/server\) started .*\) was alive when it was last written/);
});

test('no process of its run left: leaked, owner "gone" (nothing tells its project); runSlackSeconds bounds how early a dead run may have made it', () => {
  const j = judge([...liveRun(2000, 600), ...deadRun(1000, 300)], [seg('psm_old', { made: 100 }), seg('psm_early', { made: 290 })]);
  assert.deepEqual([j.get('psm_old')!.state, j.get('psm_old')!.owner, j.get('psm_old')!.runs], ['leaked', 'gone', []]);
  assert.match(j.get('psm_old')!.why, /the run that made it is gone/);
  // 10 s before the dead run's oldest live process (its main, gone, made it first): within 30 s.
  assert.deepEqual([j.get('psm_early')!.state, j.get('psm_early')!.owner], ['leaked', 'project']);
  const strict = judge([...liveRun(2000, 600), ...deadRun(1000, 300)], [seg('psm_early', { made: 290 })], {}, { runSlackSeconds: 5 });
  assert.equal(strict.get('psm_early')!.owner, 'gone');
});

test("another project's dead run alive then: leaked, owner other", () => {
  const mine = deadRun(1000, 10, { cwd: '/work/proj', exe: PY });
  const theirs = deadRun(3000, 11, { cwd: '/elsewhere/other', exe: PY });
  const j = judge([...mine, ...theirs], [seg('psm_x', { made: 20 })], {}, SHM_JUDGE_DEFAULTS, '/work/proj');
  assert.equal(j.get('psm_x')!.state, 'leaked');
  assert.equal(j.get('psm_x')!.owner, 'other');
  assert.deepEqual(j.get('psm_x')!.runs, [1, 2]);
});

test('torch_<pid>_…: a live creator keeps it; a pid reused by a later process does not; a creator in a dead run is freed with it', () => {
  const j = judge([...liveRun(2000, 600), ...deadRun(1000, 10)], [seg('torch_2000_1_0', { made: 610 }), seg('torch_2002_5_0', { made: 100 }), seg('torch_1002_7_0', { made: 20 })]);
  assert.equal(j.get('torch_2000_1_0')!.state, 'creator-alive');
  // pid 2002 started at 600.2, after the segment (100): not its creator.
  assert.equal(j.get('torch_2002_5_0')!.state, 'leaked');
  assert.match(j.get('torch_2002_5_0')!.why, /pid 2002, whose name it bears, is now a process started after it was made/);
  assert.equal(j.get('torch_1002_7_0')!.state, 'held-by-dead-run');
  assert.deepEqual(j.get('torch_1002_7_0')!.pids, [1002]);
});

test('holders not all in view: unknown, never leaked', () => {
  const procs = [...deadRun(1000, 10)];
  const out = judge(procs, [seg('psm_a', { made: 12 })], { visibility: { complete: false, reason: 'a PID namespace of its own (a container) in the machine IPC namespace' } });
  assert.equal(out.get('psm_a')!.state, 'unknown');
  // Unreadable processes of its owner, or of unknown owner: unknown.
  assert.equal(judge(procs, [seg('psm_a', { made: 12, uid: 1000 })], { unreadable: [{ uid: 1000, pids: [5] }] }).get('psm_a')!.state, 'unknown');
  assert.equal(judge(procs, [seg('psm_a', { made: 12 })], { unreadable: [{ uid: null, pids: [5] }] }).get('psm_a')!.state, 'unknown');
  // Another user's unreadable processes cannot open a 0600 segment of ours: judged.
  assert.equal(judge(procs, [seg('psm_a', { made: 12, mode: 0o600 })], { unreadable: [{ uid: 0, pids: [5] }] }).get('psm_a')!.state, 'leaked');
  // …but they can open a 0644 one.
  assert.equal(judge(procs, [seg('psm_a', { made: 12, mode: 0o644 })], { unreadable: [{ uid: 0, pids: [5] }] }).get('psm_a')!.state, 'unknown');
});

test('a detached run alone may run on purpose: its segments may be in use; counted dead when clean ends it (alsoDead)', () => {
  const detached = [proc(1000, 1, SERVER, { ...T, pgid: 1000, start: 10 }), proc(1002, 1000, SPAWN, { ...T, pgid: 1000, start: 10.1 })];
  const j = judge(detached, [seg('psm_d', { made: 20 })]);
  assert.equal(j.get('psm_d')!.state, 'maybe-in-use');
  const ending = judge(detached, [seg('psm_d', { made: 20 })], {}, { runSlackSeconds: 30, alsoDead: new Set([1]) });
  assert.deepEqual([ending.get('psm_d')!.state, ending.get('psm_d')!.owner], ['leaked', 'project']);
});

test("another user's run does not make our segment its own; a lone resource tracker is a dead run the segment is attributed to", () => {
  const theirs = liveRun(2000, 5).map((p) => ({ ...p, uid: 2000 }));
  assert.equal(judge(theirs, [seg('psm_a', { made: 12, uid: 1000 })]).get('psm_a')!.state, 'leaked');
  // Its program's main and workers are gone: the tracker is an orphaned run of its own (it unlinks
  // what it tracks once clean ends it; a segment it does not track is clean --shm's).
  const j = judge([proc(3000, 1, TRACKER, { start: 5, pgid: 3000, sid: 3000 })], [seg('psm_a', { made: 12 })]);
  assert.deepEqual([j.get('psm_a')!.state, j.get('psm_a')!.owner, j.get('psm_a')!.runs], ['leaked', 'project', [1]]);
});

test('a launcher that started long before (a restart loop, a start script) does not make the live run an owner of older segments', () => {
  // bash run.sh (since 50) started the dead run at 100 and, after the kill, the rerun at 600.
  const loop = proc(1500, 900, ['/bin/bash', 'run.sh'], { ...T, pgid: 1500, start: 50, comm: 'bash' });
  const rerun = [proc(2000, 1500, SERVER, { ...T, pgid: 1500, start: 600 }), proc(2002, 2000, SPAWN, { ...T, pgid: 1500, start: 600.2 })];
  const census = classify(snapshot([INIT, SHELL, loop, ...rerun]), OPTS);
  assert.equal(census.processes.find((p) => p.pid === 1500)!.role, 'launcher', 'the loop is the rerun\'s launcher');
  const [j] = judgeShm(shmOf([seg('psm_old', { made: 120 })]), census);
  assert.deepEqual([j!.state, j!.owner], ['leaked', 'gone']);
});
