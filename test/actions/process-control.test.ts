// process-control against a fake machine (test/helpers/process-host.ts): identity is pid + start
// time, re-read right before every signal; a reused pid, an unreadable /proc entry (EACCES) and a
// zombie are never signalled; pid ≤ 1, ourselves and our ancestors are refused; the TERM → grace →
// KILL policy with a growing set and with phases in order; the run finder (group, descendants that
// left it, remembered escapees, a reused group id); the macOS readers through `ps` lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkSame,
  createRunFinder,
  describeProgress,
  membersIn,
  readIdentity,
  signalGroup,
  signalIfSame,
  terminate,
  terminatePhases,
  trackRun,
  type ProcessIdentity,
  type TerminateProgress,
} from '../../src/actions/process-control.js';
import type { Host } from '../../src/host/host.js';
import { darwinProcesses } from '../../src/probes/processes.darwin.js';
import { FakeMachine, type FakeProcess } from '../helpers/process-host.js';

const SELF = 100;
/** init ← shell 50 ← rerun-doctor 100 */
const base = (): FakeProcess[] => [
  { pid: 1, ppid: 0, pgid: 1, startKey: 1 },
  { pid: 50, ppid: 1, pgid: 50, startKey: 10 },
  { pid: SELF, ppid: 50, pgid: 100, startKey: 20 },
];
const machine = (more: FakeProcess[]) => new FakeMachine(SELF, [...base(), ...more]);

test('readIdentity: the stat row (comm with spaces and parentheses), argv; gone is null, a zombie is null, EACCES is denied', async () => {
  const m = machine([
    { pid: 300, ppid: SELF, pgid: 300, sid: 300, startKey: 777, comm: 'a (b) c', argv: ['/usr/bin/python3', '-c', 'x y'] },
    { pid: 301, ppid: 1, pgid: 301, startKey: 5, state: 'Z' },
    { pid: 302, ppid: 1, pgid: 302, startKey: 6, hidden: true },
  ]);
  const h = m.host();
  assert.deepEqual(await readIdentity(h, 300), { pid: 300, startKey: 777, ppid: SELF, pgid: 300, sid: 300, state: 'S', comm: 'a (b) c', argv: ['/usr/bin/python3', '-c', 'x y'] });
  assert.equal(await readIdentity(h, 999), null, 'no such pid');
  assert.equal(await readIdentity(h, 301), null, 'a zombie is gone');
  assert.equal(await readIdentity(h, 302), 'denied', 'hidepid/EACCES is never gone');
  assert.equal(await checkSame(h, { pid: 300, startKey: 777 }), 'same');
  assert.equal(await checkSame(h, { pid: 300, startKey: 778 }), 'changed');
  assert.equal(await checkSame(h, { pid: 302, startKey: 6 }), 'denied');
  assert.equal(await checkSame(h, { pid: 999, startKey: 1 }), 'gone');
});

test('signalIfSame: a pid reused between the plan and the signal is not signalled', async () => {
  const m = machine([{ pid: 400, ppid: 1, pgid: 400, startKey: 1000 }]);
  const planned = { pid: 400, startKey: 1000 };
  m.reuse(400, 2000);
  assert.equal(await signalIfSame(m.host(), planned, 'SIGTERM'), 'changed');
  assert.deepEqual(m.signals, [], 'nothing was sent');
  assert.ok(m.procs.has(400), 'the new owner of pid 400 lives');
});

test('signalIfSame: EACCES is not gone, a zombie is gone; neither is signalled; EPERM from kill is denied', async () => {
  const m = machine([
    { pid: 401, ppid: 1, pgid: 401, startKey: 5, hidden: true },
    { pid: 402, ppid: 1, pgid: 402, startKey: 6, state: 'Z' },
    { pid: 403, ppid: 1, pgid: 403, startKey: 7, eperm: true },
  ]);
  const h = m.host();
  assert.equal(await signalIfSame(h, { pid: 401, startKey: 5 }, 'SIGTERM'), 'denied');
  assert.equal(await signalIfSame(h, { pid: 402, startKey: 6 }, 'SIGKILL'), 'gone');
  assert.deepEqual(m.signals, [], 'neither an unreadable process nor a zombie got a signal');
  assert.equal(await signalIfSame(h, { pid: 403, startKey: 7 }, 'SIGTERM'), 'denied');
  assert.deepEqual(m.signalsTo(403), ['SIGTERM'], 'the kill was tried: the identity matched');
});

test('signalIfSame refuses pid 0 and 1, ourselves, our ancestors and protected pids, whatever their identity', async () => {
  const m = machine([{ pid: 500, ppid: 1, pgid: 500, startKey: 9 }]);
  const h = m.host();
  for (const ref of [{ pid: 0, startKey: 0 }, { pid: 1, startKey: 1 }, { pid: -5, startKey: 1 }, { pid: SELF, startKey: 20 }, { pid: 50, startKey: 10 }]) {
    assert.equal(await signalIfSame(h, ref, 'SIGKILL'), 'refused', `pid ${ref.pid}`);
  }
  assert.equal(await signalIfSame(h, { pid: 500, startKey: 9 }, 'SIGTERM', { protect: new Set([500]) }), 'refused');
  assert.deepEqual(m.signals, [], 'nothing was sent');
  assert.equal(await signalIfSame(h, { pid: 500, startKey: 9 }, 'SIGTERM'), 'sent');
  assert.deepEqual(m.signalsTo(500), ['SIGTERM']);
});

test('terminate: TERM, the grace period, KILL for what ignored it; SIGKILL comes only after the grace', async () => {
  const m = machine([
    { pid: 600, ppid: 1, pgid: 600, startKey: 1, onTerm: 'exit' },
    { pid: 601, ppid: 1, pgid: 601, startKey: 2, onTerm: 'ignore' },
  ]);
  const t0 = m.clock;
  const progress: TerminateProgress[] = [];
  const r = await terminate(m.host(), [{ pid: 600, startKey: 1 }, { pid: 601, startKey: 2 }, { pid: 602, startKey: 3 }], { graceMs: 3000, onProgress: (p) => progress.push(p) });
  assert.deepEqual(r.results.map((x) => [x.target.pid, x.outcome]), [[600, 'terminated'], [601, 'killed'], [602, 'already-gone']]);
  assert.deepEqual(m.signalsTo(601), ['SIGTERM', 'SIGKILL']);
  const kill = m.signals.find((s) => s.signal === 'SIGKILL')!;
  assert.ok(kill.at - t0 >= 3000, `SIGKILL ${kill.at - t0} ms after the start, not before the 3 s grace`);
  assert.deepEqual(r.survivors, []);
  assert.deepEqual(progress.map(describeProgress), ['SIGTERM sent to 2; waiting up to 3 s', 'SIGKILL sent to 1']);
  assert.match(r.results[1]!.detail, /ignored SIGTERM for 3 s: SIGKILL/);
});

test('terminate: a pid reused during the grace period gets no SIGKILL, and the process counts as ended', async () => {
  const m = machine([{ pid: 610, ppid: 1, pgid: 610, startKey: 1, onTerm: 'ignore' }]);
  // It exits late by itself and an unrelated process (which would die of a SIGKILL) takes its pid.
  m.at(1500, () => m.reuse(610, 99, { onTerm: 'exit' }));
  const r = await terminate(m.host(), [{ pid: 610, startKey: 1 }], { graceMs: 3000 });
  assert.equal(r.results[0]!.outcome, 'terminated');
  assert.match(r.results[0]!.detail, /pid now belongs to another process/);
  assert.deepEqual(m.signalsTo(610), ['SIGTERM'], 'only the original got a signal');
  assert.ok(m.procs.get(610)?.startKey === 99, 'the new owner of the pid lives');
});

test('terminate: a pid reused between SIGTERM and the SIGKILL re-read is identity-changed, and not signalled', async () => {
  const m = machine([{ pid: 611, ppid: 1, pgid: 611, startKey: 1, onTerm: 'ignore' }]);
  // No grace and no poll in between: only the re-read right before SIGKILL can see the new owner.
  m.onSignal = (target, signal) => {
    if (target === 611 && signal === 'SIGTERM') m.reuse(611, 98);
  };
  const r = await terminate(m.host(), [{ pid: 611, startKey: 1 }], { graceMs: 0 });
  assert.equal(r.results[0]!.outcome, 'identity-changed');
  assert.match(r.results[0]!.detail, /reused before SIGKILL/);
  assert.deepEqual(m.signalsTo(611), ['SIGTERM']);
  assert.equal(m.procs.get(611)?.startKey, 98, 'the new owner lives');
});

test('terminate: survived when SIGKILL does not take within ~2 s; denied and refused are reported, never signalled', async () => {
  const m = machine([
    { pid: 620, ppid: 1, pgid: 620, startKey: 1, onTerm: 'ignore', onKill: 'survive' },
    { pid: 621, ppid: 1, pgid: 621, startKey: 2, hidden: true },
  ]);
  const t0 = m.clock;
  const r = await terminate(m.host(), [{ pid: 620, startKey: 1 }, { pid: 621, startKey: 2 }, { pid: 50, startKey: 10 }], { graceMs: 500 });
  assert.deepEqual(r.results.map((x) => [x.target.pid, x.outcome]), [[620, 'survived'], [621, 'denied'], [50, 'refused']]);
  assert.ok(m.clock - t0 >= 2500, `SIGKILL got its ~2 s (${m.clock - t0} ms in all)`);
  assert.deepEqual(r.survivors.map((s) => s.pid), [620, 621, 50]);
  assert.deepEqual(m.signalsTo(621), []);
  assert.deepEqual(m.signalsTo(50), []);
});

test('terminate with a finder: a process forked during the grace gets SIGTERM, one found after it SIGKILL at once', async () => {
  const m = machine([{ pid: 630, ppid: 1, pgid: 630, startKey: 1, onTerm: 'ignore' }]);
  const find = () => [...m.procs.values()].filter((p) => p.pgid === 630).map((p) => ({ pid: p.pid, startKey: p.startKey }));
  m.at(300, () => m.add({ pid: 631, ppid: 630, pgid: 630, startKey: 5, onTerm: 'exit' }));
  // Forked between the last sweep and the SIGKILLs (at the moment 630 is killed).
  m.onSignal = (target, signal) => {
    if (target === 630 && signal === 'SIGKILL') m.add({ pid: 632, ppid: 1, pgid: 630, startKey: 6, onTerm: 'ignore' });
  };
  const r = await terminate(m.host(), find, { graceMs: 1000 });
  const by = new Map(r.results.map((x) => [x.target.pid, x]));
  assert.equal(by.get(631)?.outcome, 'terminated');
  assert.deepEqual(m.signalsTo(631), ['SIGTERM']);
  assert.equal(by.get(630)?.outcome, 'killed');
  assert.equal(by.get(632)?.outcome, 'killed', `the late fork was found: ${JSON.stringify(r.results)}`);
  assert.match(by.get(632)!.detail, /appeared after the grace period/);
  assert.deepEqual(m.signalsTo(632), ['SIGKILL'], 'no second grace for it');
  assert.ok(!m.procs.has(632), 'and ended');
  assert.deepEqual(r.survivors, []);
});

test('terminatePhases: workers first; the resource tracker then gets its grace to exit by itself before any signal', async () => {
  const m = machine([
    { pid: 700, ppid: 1, pgid: 700, startKey: 1, onTerm: 'exit' },
    { pid: 701, ppid: 1, pgid: 700, startKey: 2, onTerm: 'ignore' },
    // A resource tracker ignores SIGTERM (multiprocessing/resource_tracker.py) and exits once every client is gone.
    { pid: 702, ppid: 1, pgid: 700, startKey: 3, onTerm: 'ignore' },
  ]);
  let lastWorkerGone = -1;
  m.onTick.push(() => {
    if (!m.procs.has(700) && !m.procs.has(701)) {
      if (lastWorkerGone < 0) lastWorkerGone = m.clock;
      else if (m.clock - lastWorkerGone >= 300) m.exit(702);
    }
  });
  const r = await terminatePhases(
    m.host(),
    [
      { name: 'workers', source: [{ pid: 700, startKey: 1 }, { pid: 701, startKey: 2 }] },
      { name: 'trackers', source: [{ pid: 702, startKey: 3 }], firstSignal: null, graceMs: 5000 },
    ],
    { graceMs: 1000 },
  );
  assert.deepEqual(r.results.map((x) => [x.phase, x.target.pid, x.outcome]), [
    ['workers', 700, 'terminated'],
    ['workers', 701, 'killed'],
    ['trackers', 702, 'terminated'],
  ]);
  assert.deepEqual(m.signalsTo(702), [], 'the tracker was never signalled: it unlinked and exited by itself');
  assert.match(r.results[2]!.detail, /exited by itself/);
});

test('terminatePhases: a tracker that does not exit is SIGKILLed after its own grace, after every worker signal', async () => {
  const m = machine([
    { pid: 710, ppid: 1, pgid: 710, startKey: 1, onTerm: 'ignore' },
    { pid: 711, ppid: 1, pgid: 710, startKey: 2, onTerm: 'ignore' },
  ]);
  const r = await terminatePhases(
    m.host(),
    [
      { name: 'workers', source: [{ pid: 710, startKey: 1 }] },
      { name: 'trackers', source: [{ pid: 711, startKey: 2 }], firstSignal: null, graceMs: 2000 },
    ],
    { graceMs: 500 },
  );
  assert.deepEqual(r.results.map((x) => x.outcome), ['killed', 'killed']);
  const order = m.signals.map((s) => `${s.target}:${s.signal}`);
  assert.deepEqual(order, ['710:SIGTERM', '710:SIGKILL', '711:SIGKILL']);
  const workerKill = m.signals[1]!.at;
  const trackerKill = m.signals[2]!.at;
  assert.ok(trackerKill - workerKill >= 2000, `the tracker had its 2 s (${trackerKill - workerKill} ms)`);
});

const id = (p: Partial<ProcessIdentity> & { pid: number; ppid: number; pgid: number }): ProcessIdentity => ({ sid: null, startKey: p.pid, state: 'S', comm: 'x', argv: [], ...p });

test('membersIn: the group, descendants that left it, orphans sharing the group id, remembered escapees; not the protected, not a reused pid', () => {
  const list = [
    id({ pid: 1, ppid: 0, pgid: 1 }),
    id({ pid: 100, ppid: 1, pgid: 100 }), // rerun-doctor
    id({ pid: 200, ppid: 100, pgid: 200, startKey: 200 }), // the command, group leader
    id({ pid: 201, ppid: 200, pgid: 201, startKey: 201 }), // setsid'd child, parent alive
    id({ pid: 202, ppid: 201, pgid: 201, startKey: 202 }), // its child
    id({ pid: 203, ppid: 1, pgid: 200, startKey: 203 }), // orphan still in the group
    id({ pid: 204, ppid: 1, pgid: 204, startKey: 204 }), // escapee seen before, now at init
    id({ pid: 205, ppid: 1, pgid: 205, startKey: 9999 }), // a reused pid of an escapee seen before
    id({ pid: 206, ppid: 1, pgid: 206, startKey: 206 }), // unrelated
    id({ pid: 207, ppid: 200, pgid: 207, startKey: 150 }), // older than its "parent": that ppid link is not parenthood
    id({ pid: 208, ppid: 200, pgid: 200, startKey: 208 }), // would be a member, but protected
  ];
  const got = membersIn(list, { runId: null, leader: { pid: 200, startKey: 200 }, pgid: 200 }, new Set(['204:204', '205:205']), new Set([0, 1, 100, 208]), () => false);
  assert.deepEqual(got.map((p) => p.pid), [200, 201, 202, 203, 204]);
});

test('membersIn: a group id now led by another process is someone else\'s group; without a leader, the members are the group', () => {
  const list = [id({ pid: 300, ppid: 1, pgid: 300, startKey: 5000 }), id({ pid: 301, ppid: 300, pgid: 300, startKey: 5001 })];
  const foreign = membersIn(list, { runId: null, leader: { pid: 300, startKey: 300 }, pgid: 300 }, new Set(), new Set([0, 1]), () => false);
  assert.deepEqual(foreign, [], 'pid 300 was reused and leads its own group');
  const leaderGone = membersIn([id({ pid: 302, ppid: 1, pgid: 300 })], { runId: null, leader: { pid: 300, startKey: 300 }, pgid: 300 }, new Set(), new Set([0, 1]), () => false);
  assert.deepEqual(leaderGone.map((p) => p.pid), [302], 'the leader is gone but its group lives on: the id is still ours');
  const marked = membersIn([id({ pid: 303, ppid: 1, pgid: 303 })], { runId: 'r', leader: null, pgid: null }, new Set(), new Set([0, 1]), (pid) => pid === 303);
  assert.deepEqual(marked.map((p) => p.pid), [303], 'the marker alone is enough');
});

test('the Linux finder reads the marker from environ; a process outside the group without it is not the run\'s', async () => {
  const m = machine([
    { pid: 800, ppid: SELF, pgid: 800, startKey: 800 },
    { pid: 801, ppid: 1, pgid: 801, startKey: 801, environ: { RERUN_DOCTOR_RUN_ID: 'outer,abc' } },
    { pid: 802, ppid: 1, pgid: 802, startKey: 802, environ: { RERUN_DOCTOR_RUN_ID: 'abcd' } },
    { pid: 803, ppid: 1, pgid: 803, startKey: 803 },
  ]);
  const f = createRunFinder(m.host(), { runId: 'abc', leader: { pid: 800, startKey: 800 }, pgid: 800 });
  assert.deepEqual((await f.sweep()).map((p) => p.pid), [800, 801]);
});

// ---- macOS: identity and members through ps ----

/** epoch seconds, as lstart gives them */
const T = 1_796_000_000;
const mac = (more: FakeProcess[]) =>
  new FakeMachine(SELF, [
    { pid: 1, ppid: 0, pgid: 1, startKey: T - 9000, argv: ['/sbin/launchd'] },
    { pid: 50, ppid: 1, pgid: 50, startKey: T - 5000, argv: ['-zsh'] },
    { pid: SELF, ppid: 50, pgid: SELF, startKey: T - 100, argv: ['node', 'rerun-doctor'] },
    ...more,
  ]);

test('macOS: a census row and a ref read through ps -p compare equal (lstart in UTC, epoch seconds)', async () => {
  const m = mac([{ pid: 900, ppid: SELF, pgid: 900, startKey: T, argv: ['/usr/bin/python3', '-m', 'src.main'] }]);
  const host = { ...m.host('darwin'), sys: m.host().proc, etc: m.host().proc, clockTicks: 100, hostname: () => 'mac', http: async () => ({}) } as unknown as Host;
  host.run = async (argv) => {
    // The census's second call (ucomm) is not faked here: its failure is an issue, not a lost row.
    if (argv.join(' ').includes('pid=,ucomm=')) return { stdout: '', stderr: 'no', code: 2, notFound: false, timedOut: false };
    return m.host('darwin').run(argv);
  };
  const census = await darwinProcesses(host, {});
  assert.equal(census.status, 'ok');
  const row = census.status === 'ok' ? census.value.find((p) => p.pid === 900)! : null;
  assert.equal(row?.startKey, T);
  assert.equal(await checkSame(m.host('darwin'), row!), 'same');
  assert.ok(m.psCalls.some((c) => c === 'ps -ww -o pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command= -p 900'), m.psCalls.join('\n'));
  const ident = await readIdentity(m.host('darwin'), 900);
  assert.deepEqual(ident, { pid: 900, startKey: T, ppid: SELF, pgid: 900, sid: null, state: 'S', comm: 'python3', argv: ['/usr/bin/python3', '-m', 'src.main'] });
});

test('macOS: ps exit 1 with nothing printed is gone, a <defunct> line is gone, a failing ps is denied (never gone)', async () => {
  const m = mac([{ pid: 901, ppid: 1, pgid: 901, startKey: T, state: 'Z' }]);
  const h = m.host('darwin');
  assert.equal(await readIdentity(h, 4242), null);
  assert.equal(await readIdentity(h, 901), null);
  m.psFails = 'not-found';
  assert.equal(await readIdentity(h, 1), 'denied');
  m.psFails = 2;
  assert.equal(await checkSame(h, { pid: 50, startKey: T - 5000 }), 'denied');
  assert.equal(await signalIfSame(h, { pid: 901, startKey: T }, 'SIGTERM', { protect: new Set() }), 'denied');
  assert.deepEqual(m.signals, [], 'nothing is signalled when ps cannot say who holds the pid');
});

test('macOS finder: a setsid\'d child seen while its parent lived is still the run\'s once re-parented to launchd; a stranger is not', async () => {
  const m = mac([
    { pid: 910, ppid: SELF, pgid: 910, startKey: T, argv: ['python3', 'main.py'] },
    { pid: 911, ppid: 910, pgid: 911, startKey: T + 1, argv: ['python3', 'main.py', 'escapee'] },
    { pid: 920, ppid: 1, pgid: 920, startKey: T + 1, argv: ['stranger'] },
  ]);
  const h = m.host('darwin');
  const found: number[] = [];
  const f = createRunFinder(h, { runId: 'r', leader: { pid: 910, startKey: T }, pgid: 910 }, { onFound: (refs) => found.push(...refs.map((r) => r.pid)) });
  const tracker = trackRun(h, f, { intervalMs: () => 1 });
  await new Promise((r) => setTimeout(r, 20));
  await tracker.stop();
  assert.deepEqual(found.sort(), [910, 911], 'the tracker saw the command and its child');
  // The command exits; its setsid'd child is re-parented to launchd, in its own group.
  m.exit(910);
  m.procs.get(911)!.ppid = 1;
  assert.deepEqual((await f.sweep()).map((p) => p.pid), [911]);
  assert.ok(!m.psCalls.some((c) => c.includes('/proc')), 'nothing read /proc on macOS');
});

test('signalGroup: to a group that still has a member; refused for our own and our ancestors\' groups; gone when empty; changed when the id was reused', async () => {
  const m = machine([
    { pid: 1000, ppid: 1, pgid: 999, startKey: 1 },
    { pid: 1001, ppid: 1, pgid: 1001, startKey: 50 },
    { pid: 1002, ppid: SELF, pgid: SELF, startKey: 21 },
  ]);
  const h = m.host();
  assert.equal(await signalGroup(h, 999, 'SIGINT'), 'sent', 'the leader 999 is gone, member 1000 is not');
  assert.deepEqual(m.signals.map((s) => [s.target, s.signal]), [[-999, 'SIGINT']]);
  assert.equal(await signalGroup(h, SELF, 'SIGINT'), 'refused');
  assert.equal(await signalGroup(h, 50, 'SIGINT'), 'refused');
  assert.equal(await signalGroup(h, 1, 'SIGINT'), 'refused');
  assert.equal(await signalGroup(h, 4000, 'SIGINT'), 'gone');
  assert.equal(await signalGroup(h, 1001, 'SIGINT', { leader: { pid: 1001, startKey: 1 } }), 'changed');
  assert.equal(await signalGroup(h, 1001, 'SIGINT', { leader: 'reaped' }), 'changed');
  assert.equal(m.signals.length, 1, 'only the first call signalled');
});
