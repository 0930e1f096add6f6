// clean --shm's segment plan is pure: each segment of a dead run in or out, with its reason, from
// the census, the process plan made from it and built shared-memory evidence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCleanup, type PlanOptions } from '../../src/actions/plan-cleanup.js';
import { planShm, type ShmPlanOptions } from '../../src/actions/plan-shm.js';
import { classify } from '../../src/census/classify.js';
import type { ShmPlan } from '../../src/model/cleanup-plan.js';
import type { ShmSegment } from '../../src/model/shm.js';
import type { ProcessInfo } from '../../src/model/snapshot.js';
import { INIT, OPTS, proc, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';
import { okValue } from '../helpers/rule-tester.js';
import { seg, shmOf } from '../helpers/shm.js';

const T = { sid: 900 };
// The live rerun started at 600; the dead run (pgid 1000, its main and tracker SIGKILLed at ~2) left one worker.
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600, cwd: '/p' }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1, cwd: '/p' }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2, cwd: '/p' })];
const deadWorker = proc(1002, 1, SPAWN, { ...T, pgid: 1000, start: 1.1, cwd: '/p' });
const popts: PlanOptions = { selfPid: 99999, ancestors: [900], uid: 1000, allUsers: false, sudoUid: null };
const sopts: ShmPlanOptions = { enabled: true, allProjects: false, uid: 1000, sudoUid: null, allUsers: false };

function plan(processes: ProcessInfo[], segments: ShmSegment[], o: Partial<ShmPlanOptions> = {}, po: Partial<PlanOptions> = {}): ShmPlan {
  const census = classify(snapshot(processes), { ...OPTS, projectRoot: '/p' });
  const p = planCleanup(census, { ...popts, ...po });
  return planShm(okValue(shmOf(segments)), census, p, { ...sopts, ...o });
}
const names = (xs: Array<{ name: string }>) => xs.map((x) => x.name).sort();

test("a dead run's leaked segments are targets; the live run's are counted in use; the plan says whether --shm was given", () => {
  const p = plan([...live, deadWorker], [seg('psm_dead', { made: 0.5 }), seg('sem.mp-dead', { made: 0.6, bytes: 4096 }), seg('psm_live', { made: 601, holders: [2000, 2002] })]);
  assert.deepEqual(names(p.targets), ['psm_dead', 'sem.mp-dead']);
  assert.ok(p.targets.every((t) => t.runs.length === 1 && t.after.length === 0 && t.dev === '0:42' && t.ino > 0 && t.mtimeMs > 0), 'each target carries its run and its identity for the re-check');
  assert.deepEqual(p.inUse, { count: 1, bytes: 1 << 20 });
  assert.equal(p.enabled, true);
  assert.equal(plan([...live, deadWorker], [seg('psm_dead', { made: 0.5 })], { enabled: false }).enabled, false);
});

test('held only by the orphans this clean ends: a target after them; held by a process it does not end: left', () => {
  const held = plan([...live, deadWorker], [seg('psm_held', { made: 0.5, holders: [1002] })]);
  assert.deepEqual(held.targets.map((t) => [t.name, t.after]), [['psm_held', [1002]]]);
  // Another user's orphan is not ended: its segment stays.
  const theirs = plan([...live, { ...deadWorker, uid: 2000 }], [seg('psm_held', { made: 0.5, holders: [1002], uid: 2000 })]);
  assert.deepEqual(theirs.targets, []);
  assert.match(theirs.left[0]!.why, /pid 1002 is not ended \(another user's \(uid 2000\)/);
});

test('a run no process is left of, or another project\'s: only with --all-projects', () => {
  const gone = plan(live, [seg('psm_gone', { made: 5 })]);
  assert.deepEqual(gone.targets, []);
  assert.deepEqual([gone.left[0]!.state, gone.left[0]!.name], ['leaked', 'psm_gone']);
  assert.match(gone.left[0]!.why, /the run that made it is gone.*: pass --all-projects to remove it$/);
  assert.deepEqual(names(plan(live, [seg('psm_gone', { made: 5 })], { allProjects: true }).targets), ['psm_gone']);
  const other = proc(3002, 1, SPAWN, { ...T, pgid: 3000, start: 1, cwd: '/elsewhere' });
  const o = plan([...live, other], [seg('psm_o', { made: 2 })]);
  assert.match(o.left[0]!.why, /another project's/);
  assert.match(o.left[0]!.why, /pass --all-projects/);
});

test("another user's segment: left (as root: unless --all-users; the sudo user's are ours)", () => {
  // The dead run is that user's too (its worker runs as uid 2000).
  const theirs = { ...deadWorker, uid: 2000 };
  const segs = () => [seg('psm_u', { made: 0.5, uid: 2000 })];
  assert.match(plan([...live, theirs], segs()).left[0]!.why, /another user's \(uid 2000\): not removed/);
  assert.match(plan([...live, theirs], segs(), { uid: 0 }, { uid: 0 }).left[0]!.why, /pass --all-users/);
  assert.equal(plan([...live, theirs], segs(), { uid: 0, allUsers: true }, { uid: 0 }).targets.length, 1);
  assert.equal(plan([...live, theirs], segs(), { uid: 0, sudoUid: 2000 }, { uid: 0 }).targets.length, 1);
});

test('never: a segment a live run may own, one whose holders cannot all be seen, one of a run left alone', () => {
  // Last written after the live run started: it may be the live run's.
  const maybe = plan([...live, deadWorker], [seg('psm_m', { made: 0.5, changed: 650 })]);
  assert.deepEqual([maybe.targets.length, maybe.left[0]!.state], [0, 'maybe-in-use']);
  const census = classify(snapshot([...live, deadWorker]), { ...OPTS, projectRoot: '/p' });
  const blind = planShm(okValue(shmOf([seg('psm_b', { made: 0.5 })], { visibility: { complete: false, reason: 'not every process is in view' } })), census, planCleanup(census, popts), sopts);
  assert.deepEqual([blind.targets.length, blind.left[0]!.state], [0, 'unknown']);
  // A detached server alone (it may run on purpose) is left alone, and so are its segments.
  const detached = [INIT, proc(1000, 1, SERVER, { ...T, pgid: 1000, start: 1, cwd: '/p' }), proc(1002, 1000, SPAWN, { ...T, pgid: 1000, start: 1.1, cwd: '/p' })];
  const d = plan(detached, [seg('psm_d', { made: 2 })]);
  assert.deepEqual(d.targets, []);
  // …unless --include-detached ends it: then they are its.
  assert.deepEqual(names(plan(detached, [seg('psm_d', { made: 2 })], {}, { includeDetached: true }).targets), ['psm_d']);
});

test('shared memory not readable: the plan says so and has no target', () => {
  const census = classify(snapshot(live), OPTS);
  const p = planShm({ status: 'unavailable', reason: '/dev/shm does not exist', source: '/dev/shm' }, census, planCleanup(census, popts), sopts);
  assert.deepEqual([p.status, p.reason, p.targets.length], ['unavailable', '/dev/shm does not exist', 0]);
});
