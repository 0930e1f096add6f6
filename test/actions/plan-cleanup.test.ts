// The cleanup plan is pure: each process in or out, with its reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCleanup } from '../../src/actions/plan-cleanup.js';
import { diagnose } from '../../src/rules/diagnose.js';
import { INIT, proc, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { inputFrom } from '../helpers/rule-tester.js';

const live = [INIT, SHELL, proc(2000, 900, SERVER, { pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { pgid: 2000, start: 600.2 })];
const dead = [proc(1001, 1, TRACKER, { pgid: 1000, start: 1 }), proc(1002, 1, SPAWN, { pgid: 1000, start: 1.1 }), proc(1003, 1, SPAWN, { pgid: 1000, start: 1.2, uid: 2000 })];
const opts = { selfPid: 99999, ancestors: [900], uid: 1000, allUsers: false, sudoUid: null };

function plan(processes: ReturnType<typeof proc>[], o = opts) {
  const input = inputFrom(processes);
  return planCleanup(input.census, diagnose(input), o);
}

test('a dead run is in; the running server and its workers are out, with reasons', () => {
  const p = plan([...live, ...dead.slice(0, 2)]);
  assert.deepEqual(p.targets.map((t) => t.pid), [1001, 1002]);
  assert.ok(p.targets.every((t) => /^orphan-workers: /.test(t.why) && t.startKey > 0), JSON.stringify(p.targets));
  const why = new Map(p.excluded.map((e) => [e.pid, e.why]));
  for (const pid of [2000, 2001, 2002]) assert.match(why.get(pid) ?? '', /part of the current run/);
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
  const self = proc(99999, 1, SPAWN, { pgid: 1000, start: 1.3 });
  const ancestorOrphan = proc(900, 1, SPAWN, { pgid: 1000, start: 1.4 });
  const zombie = proc(1004, 2000, [], { pgid: 2000, start: 601, state: 'Z', zombie: true, comm: 'python3' });
  const p = plan([...live.filter((x) => x.pid !== 900), ...dead.slice(0, 2), ancestorOrphan, zombie, self]);
  assert.ok(!p.targets.some((t) => [99999, 900, 1004].includes(t.pid)), JSON.stringify(p.targets.map((t) => t.pid)));
  assert.match(p.excluded.find((e) => e.pid === 900)?.why ?? '', /rerun-doctor itself or one of its parents/);
  assert.match(p.excluded.find((e) => e.pid === 1004)?.why ?? '', /zombie/);
});
