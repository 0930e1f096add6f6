// Linux probes over fixture /proc trees (real files, real fd symlinks) and injected faults.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { AccessDenied, ProcessGone } from '../../src/host/errors.js';
import { createHost, type Host } from '../../src/host/host.js';
import type { RootedFs } from '../../src/host/rooted-fs.js';
import { censusSnapshot } from '../../src/census/census.js';
import { createProcSampler } from '../../src/watch/proc-sampler.js';
import { linuxProcesses } from '../../src/probes/processes.linux.js';
import { linuxSockets } from '../../src/probes/sockets.linux.js';
import { OPTS, procTree, PY, SPAWN, tcpTable, TRACKER, type FakeProc } from '../helpers/builders.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function tree(procs: FakeProc[], net?: { tcp?: string; tcp6?: string }): string {
  const r = procTree(procs, net);
  roots.push(r);
  return r;
}

/** A host whose /proc reads fail where the test says: the races and permissions of real machines. */
function faulty(root: string, fault: (op: string, rel: string) => Error | null): Host {
  const base = createHost({ platform: 'linux', procRoot: root, etcRoot: root });
  const wrap = (fs: RootedFs): RootedFs => ({
    root: fs.root,
    path: fs.path,
    read: (rel) => {
      const e = fault('read', rel);
      if (e) throw e;
      return fs.read(rel);
    },
    readdir: (rel) => {
      const e = fault('readdir', rel);
      if (e) throw e;
      return fs.readdir(rel);
    },
    readlink: (rel) => {
      const e = fault('readlink', rel);
      if (e) throw e;
      return fs.readlink(rel);
    },
    fdLinks: (pid) => {
      const e = fault('readdir', `${pid}/fd`);
      if (e) throw e;
      const r = fs.fdLinks(pid);
      const keep = r.fds.map((fd, i) => ({ fd, t: r.targets[i]! })).filter(({ fd }) => !fault('readlink', `${pid}/fd/${fd}`));
      return { fds: keep.map((k) => k.fd), targets: keep.map((k) => k.t) };
    },
    readBytes: (rel) => {
      const e = fault('read', rel);
      if (e) throw e;
      return fs.readBytes(rel);
    },
  });
  return { ...base, proc: wrap(base.proc) };
}

const SERVER_PROCS: FakeProc[] = [
  { pid: 1, ppid: 0, argv: ['/sbin/init'], comm: 'systemd', pgid: 1, sid: 1, startTicks: 1 },
  { pid: 1000, ppid: 1, argv: [PY, '-m', 'src.main'], pgid: 1000, sid: 900, startTicks: 5000, fds: { 0: '/dev/null', 3: 'socket:[7001]', 4: 'pipe:[9001]' } },
  { pid: 1001, ppid: 1000, argv: TRACKER, pgid: 1000, sid: 900, startTicks: 5010, fds: { 5: 'pipe:[9001]' } },
  { pid: 1002, ppid: 1000, argv: SPAWN, pgid: 1000, sid: 900, startTicks: 5020, fds: { 6: 'pipe:[9001]', 7: 'socket:[7002]' } },
  { pid: 1003, ppid: 1000, argv: SPAWN, pgid: 1000, sid: 900, startTicks: 5021, fds: { 6: 'pipe:[9001]', 7: 'socket:[7003]', 8: 'socket:[7003]' } },
  { pid: 1004, ppid: 1000, argv: SPAWN, pgid: 1000, sid: 900, startTicks: 5022, fds: { 2: 'pipe:[1]' } },
];
// :8080 on 0.0.0.0 (inode 7001); :50051 twice on [::] (7002, 7003: SO_REUSEPORT); an ESTABLISHED row to ignore.
const NET = {
  tcp: tcpTable([{ hex: '00000000', port: 8080, inode: 7001 }, { hex: '0100007F', port: 40000, inode: 7100, state: '01' }]),
  tcp6: tcpTable([{ hex: '0'.repeat(32), port: 50051, inode: 7002 }, { hex: '0'.repeat(32), port: 50051, inode: 7003 }]),
};

test('processes: every field from stat, cmdline, status; start time from btime + ticks', async () => {
  const host = createHost({ platform: 'linux', procRoot: tree(SERVER_PROCS, NET), etcRoot: '/nonexistent' });
  const o = await linuxProcesses(host, { enrich: () => new Set([1002]) });
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  const p = o.value.find((x) => x.pid === 1002)!;
  assert.equal(p.ppid, 1000);
  assert.equal(p.pgid, 1000);
  assert.equal(p.sid, 900);
  assert.equal(p.uid, 1000);
  assert.equal(p.user, '1000', 'no passwd: the uid as text');
  assert.equal(p.startTime, new Date((1795000000 + 5020 / 100) * 1000).toISOString());
  assert.equal(p.startKey, 5020);
  assert.deepEqual(p.argv, SPAWN);
  assert.equal(p.rssBytes, 1024 * 1024);
  assert.equal(p.cpuSeconds, 0.1);
  assert.deepEqual(p.pipes, [9001]);
  assert.deepEqual(p.socketFds, [7]);
  assert.equal(p.cgroup, '/user.slice/user-1000.slice/session-1.scope');
  assert.equal(o.value.find((x) => x.pid === 1003)!.pipes, undefined, 'not enriched');
});

test('sockets: IPv4 + IPv6 listeners, every owner, non-LISTEN rows ignored', async () => {
  const host = createHost({ platform: 'linux', procRoot: tree(SERVER_PROCS, NET) });
  const o = await linuxSockets(host);
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  assert.deepEqual(
    o.value.map((s) => `${s.address}:${s.port} ${s.id} ${s.owners.map((x) => `${x.pid}/${x.fd}`).join(',')}`),
    ['0.0.0.0:8080 inode:7001 1000/3', ':::50051 inode:7002 1002/7', ':::50051 inode:7003 1003/7,1003/8'],
  );
});

test('a process that vanishes between the listing and the read is skipped, not an error', async () => {
  const root = tree(SERVER_PROCS, NET);
  const host = faulty(root, (op, rel) => (rel.startsWith('1003/') ? new ProcessGone(rel) : null));
  const snap = await censusSnapshot(host, OPTS);
  assert.ok(!snap.processes.some((p) => p.pid === 1003), '!snap.processes.some((p) => p.pid === 1003)');
  assert.ok(snap.processes.some((p) => p.pid === 1002), 'snap.processes.some((p) => p.pid === 1002)');
  assert.ok(snap.probes.every((p) => p.status === 'ok'), 'snap.probes.every((p) => p.status === \'ok\')');
  const s = snap.sockets.find((x) => x.id === 'inode:7003')!;
  assert.deepEqual(s.owners, [], 'its socket stays, with no owner seen');
});

test('a process that vanishes between stat and cmdline is skipped', async () => {
  const host = faulty(tree(SERVER_PROCS, NET), (op, rel) => (rel === '1002/cmdline' ? new ProcessGone(rel) : null));
  const o = await linuxProcesses(host, {});
  assert.equal(o.status, 'ok');
  if (o.status === 'ok') assert.ok(!o.value.some((p) => p.pid === 1002), '!o.value.some((p) => p.pid === 1002)');
});

test('access denied keeps the partial row and says what could not be seen', async () => {
  const host = faulty(tree(SERVER_PROCS, NET), (op, rel) => (rel === '1002/cmdline' || rel === '1002/fd' || rel === '1002/exe' ? new AccessDenied(rel) : null));
  const snap = await censusSnapshot(host, OPTS);
  const p = snap.processes.find((x) => x.pid === 1002)!;
  assert.deepEqual(p.argv, [], 'argv unreadable');
  assert.equal(p.ppid, 1000, 'the rest of the row is kept');
  const denied = snap.issues.filter((i) => i.kind === 'access-denied');
  assert.ok(denied.some((i) => /command line/.test(i.message) && i.pids?.includes(1002)), JSON.stringify(denied));
  assert.ok(denied.some((i) => /fd tables of 1 process/.test(i.message) && i.pids?.includes(1002)), JSON.stringify(denied));
  assert.deepEqual(snap.sockets.find((x) => x.id === 'inode:7002')!.owners, []);
});

test('no /proc at all: the processes probe fails with the reason; no exception', async () => {
  const host = createHost({ platform: 'linux', procRoot: '/nonexistent/proc' });
  const snap = await censusSnapshot(host, OPTS);
  const p = snap.probes.find((x) => x.probe === 'processes.linux')!;
  assert.equal(p.status, 'failed');
  assert.match(p.message!, /\/nonexistent\/proc/);
  assert.equal(snap.probes.find((x) => x.probe === 'sockets.linux')!.status, 'failed');
});

test('a kernel without IPv6 (no tcp6) is not an error', async () => {
  const root = tree(SERVER_PROCS, NET);
  rmSync(`${root}/net/tcp6`);
  const o = await linuxSockets(createHost({ platform: 'linux', procRoot: root }));
  assert.equal(o.status, 'ok');
  if (o.status === 'ok') assert.deepEqual(o.value.map((s) => s.port), [8080]);
});

test('a socket in another network namespace is found through its owner\'s /proc/PID/net', async () => {
  const procs: FakeProc[] = [{ pid: 1, ppid: 0, argv: ['/sbin/init'], startTicks: 1 }, { pid: 50, ppid: 1, argv: [PY, '-m', 'src.main'], fds: { 3: 'socket:[8801]' } }];
  const root = tree(procs, NET);
  const { mkdirSync, writeFileSync, symlinkSync } = await import('node:fs');
  mkdirSync(`${root}/50/net`);
  mkdirSync(`${root}/50/ns`);
  symlinkSync('net:[4026532000]', `${root}/50/ns/net`);
  writeFileSync(`${root}/50/net/tcp`, tcpTable([{ hex: '00000000', port: 50051, inode: 8801 }]));
  writeFileSync(`${root}/50/net/tcp6`, tcpTable([]));
  const o = await linuxSockets(createHost({ platform: 'linux', procRoot: root }));
  assert.equal(o.status, 'ok');
  if (o.status === 'ok') assert.deepEqual(o.value.find((s) => s.id === 'inode:8801')?.owners, [{ pid: 50, fd: 3 }]);
});

test('user names come from the passwd beside --proc-root (a host inspected from a container)', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, renameSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const hostRoot = mkdtempSync(`${tmpdir()}/rd-host-`);
  roots.push(hostRoot);
  renameSync(tree(SERVER_PROCS, NET), `${hostRoot}/proc`);
  mkdirSync(`${hostRoot}/etc`);
  writeFileSync(`${hostRoot}/etc/passwd`, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  const host = createHost({ platform: 'linux', procRoot: `${hostRoot}/proc` });
  assert.equal(host.etc.root, `${hostRoot}/etc`);
  const o = await linuxProcesses(host, { enrich: () => new Set([1002]) });
  assert.equal(o.status, 'ok');
  if (o.status === 'ok') assert.equal(o.value.find((p) => p.pid === 1002)?.user, 'alice');
});

test('the watch sampler says what it could not read, as the census does (it never drops the issues)', async () => {
  const host = faulty(tree(SERVER_PROCS, NET), (op, rel) => (rel === '1002/cmdline' || rel === '1002/fd' || rel === '1002/exe' ? new AccessDenied(rel) : null));
  const census = await censusSnapshot(host, OPTS);
  const sampler = createProcSampler(host, OPTS, { fullEvery: 2 });
  for (let i = 0; i < 3; i++) {
    const r = await sampler.sample();
    assert.ok(r.ok, JSON.stringify(r));
    const issues = sampler.latest()!.snapshot.issues.filter((x) => x.kind === 'access-denied');
    assert.deepEqual(issues.map((x) => x.message).sort(), census.issues.filter((x) => x.kind === 'access-denied').map((x) => x.message).sort(), `sample ${i + 1}: the same issues as a full census`);
    assert.ok(issues.some((x) => x.pids?.includes(1002)), `sample ${i + 1} names 1002`);
  }
});
