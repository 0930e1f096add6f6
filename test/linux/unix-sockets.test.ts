// Listening unix sockets: the /proc/net/unix parser on a real capture, the socket scan over a
// fixture /proc tree (owners from the same fd pass as TCP's, another network namespace's table
// through its owner), and socket files on disk: real files, a real listener, a real stale file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { createHost } from '../../src/host/host.js';
import { parseNetUnix } from '../../src/os/linux/proc-net-unix.js';
import { collectSnapshot } from '../../src/probes/collect.js';
import { collectSocketFiles, namedSocketPaths } from '../../src/probes/socket-files.js';
import { linuxSocketScan, linuxSockets } from '../../src/probes/sockets.linux.js';
import { OPTS, proc, procTree, PY, snapshot, tcpTable, type FakeProc } from '../helpers/builders.js';
import { fixture } from '../helpers/paths.js';

const CAPTURE = readFileSync(fixture('linux', 'captured', 'net-unix'), 'utf8');
const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

test('/proc/net/unix (a real capture): listeners are __SO_ACCEPTCON, unconnected, STREAM or SEQPACKET; paths with spaces and abstract names kept', () => {
  const rows = parseNetUnix(CAPTURE, 'net-unix');
  assert.equal(rows.length, 11);
  const listening = rows.filter((r) => r.listening).map((r) => [r.inode, r.path, r.type, r.abstract]);
  assert.deepEqual(listening, [
    [1157787, '/tmp/rdcap/grpc.sock', 1, false],
    [1157788, '/tmp/rdcap/seq packet.sock', 5, false],
    [1157789, '@rd-abstract-listener', 1, true],
  ]);
  const accepted = rows.find((r) => r.inode === 1157793)!;
  assert.equal(accepted.path, '/tmp/rdcap/grpc.sock', "the accepted end shows its listener's path");
  assert.equal(accepted.listening, false, 'but is no listener');
  for (const inode of [1157790, 1157791]) assert.equal(rows.find((r) => r.inode === inode)!.listening, false, 'dgram and bound-not-listening are not listeners');
  assert.equal(rows.find((r) => r.inode === 1062)!.path, null, 'unnamed');
  assert.throws(() => parseNetUnix('Num RefCount\ngarbage line\n', 'x'), /x: line 2: unexpected row/);
});

function tree(procs: FakeProc[]): string {
  const r = procTree(procs, { tcp: tcpTable([{ hex: '0100007F', port: 29500, inode: 4242 }]) });
  roots.push(r);
  return r;
}

test('the socket scan: unix listeners with their owners from the one fd pass; a connection or a TCP socket is not one', async () => {
  const procs: FakeProc[] = [
    { pid: 1, ppid: 0, argv: ['/sbin/init'] },
    { pid: 1000, ppid: 1, argv: [PY, '-m', 'src.main'], fds: { 3: 'socket:[1157787]', 4: 'socket:[1157793]', 5: 'socket:[4242]' } },
    { pid: 1001, ppid: 1000, argv: [PY, 'w'], fds: { 3: 'socket:[1157787]', 6: 'socket:[1157789]' } },
  ];
  const root = tree(procs);
  writeFileSync(join(root, 'net', 'unix'), CAPTURE);
  const host = createHost({ platform: 'linux', procRoot: root });
  const o = await linuxSocketScan(host);
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  assert.deepEqual(o.value.tcp.map((s) => [s.port, s.owners.map((x) => x.pid)]), [[29500, [1000]]]);
  assert.deepEqual(
    o.value.unix!.map((u) => [u.path, u.type, u.id, u.owners.map((x) => `${x.pid}/${x.fd}`).join(',')]),
    [
      ['/tmp/rdcap/grpc.sock', 'stream', 'inode:1157787', '1000/3,1001/3'],
      ['/tmp/rdcap/seq packet.sock', 'seqpacket', 'inode:1157788', ''],
      ['@rd-abstract-listener', 'stream', 'inode:1157789', '1001/6'],
    ],
  );
  const snap = await collectSnapshot(host, {});
  assert.equal(snap.unixSockets?.length, 3, 'the snapshot carries them');
  const tcpOnly = await linuxSockets(host);
  assert.equal(tcpOnly.status, 'ok');
  // no /proc/net/unix (a fixture tree, a kernel without AF_UNIX in procfs): none, not a failure
  rmSync(join(root, 'net', 'unix'));
  const none = await linuxSocketScan(host);
  assert.ok(none.status === 'ok' && none.value.unix!.length === 0, 'no table: no unix listeners');
  // an unreadable table: the TCP listeners still count, the unix ones are "not listed" (absent from the snapshot)
  writeFileSync(join(root, 'net', 'unix'), 'Num\nnot a row\n');
  const bad = await linuxSocketScan(host);
  assert.ok(bad.status === 'ok' && bad.value.unix === null && bad.value.tcp.length === 1, 'TCP kept, unix not listed');
  assert.ok(bad.status === 'ok' && bad.issues.some((i) => /unix sockets not listed/.test(i.message)), 'and said so');
  assert.equal((await collectSnapshot(host, {})).unixSockets, undefined);
});

test("a unix listener in another network namespace is found through its owner's /proc/PID/net/unix", async () => {
  const procs: FakeProc[] = [{ pid: 1, ppid: 0, argv: ['/sbin/init'] }, { pid: 50, ppid: 1, argv: [PY, '-m', 'src.main'], fds: { 3: 'socket:[9901]' } }];
  const root = tree(procs);
  writeFileSync(join(root, 'net', 'unix'), 'Num       RefCount Protocol Flags    Type St Inode Path\n');
  mkdirSync(join(root, '50', 'net'));
  mkdirSync(join(root, '50', 'ns'));
  symlinkSync('net:[4026532000]', join(root, '50', 'ns', 'net'));
  writeFileSync(join(root, '50', 'net', 'tcp'), tcpTable([]));
  writeFileSync(join(root, '50', 'net', 'unix'), 'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 9901 /run/app/grpc.sock\n');
  const o = await linuxSocketScan(createHost({ platform: 'linux', procRoot: root }));
  assert.ok(o.status === 'ok', 'the scan is ok');
  if (o.status === 'ok') assert.deepEqual(o.value.unix!.map((u) => [u.path, u.owners, u.source.endsWith('/50/net/unix')]), [['/run/app/grpc.sock', [{ pid: 50, fd: 3 }], true]]);
});

test('named socket paths: unix:, unix://, ipc://, --uds, relative to the cwd; abstract names have no file', () => {
  assert.deepEqual(
    namedSocketPaths([PY, 'srv.py', '--bind=unix:///run/a.sock', 'ipc:///tmp/zmq0', '--uds', 'rel.sock', 'unix:@abs', '--x=unix:b.sock'], { PROMETHEUS_MULTIPROC_DIR: '/m', MASTER_ADDR: 'ipc:///tmp/env.sock' }, '/srv'),
    [
      { path: '/run/a.sock', where: 'argv' },
      { path: '/tmp/zmq0', where: 'argv' },
      { path: '/srv/rel.sock', where: 'argv' },
      { path: '/srv/b.sock', where: 'argv' },
      { path: '/tmp/env.sock', where: 'environment MASTER_ADDR' },
    ],
  );
  assert.deepEqual(namedSocketPaths(['x', 'unix:rel.sock'], undefined, null), [], 'relative without a cwd: unknown');
});

test('socket files: a live listener answers, a stale file is refused, a listener in /proc/net/unix is listening; a regular file is not one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-sockfiles-'));
  roots.push(dir);
  const other = mkdtempSync(join(tmpdir(), 'rd-sockfiles-named-'));
  roots.push(other);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(join(dir, 'live.sock'), r));
  try {
    // A process that binds and exits: its file stays (close() and exit never unlink a socket file).
    execFileSync(PY, ['-c', 'import socket,sys\nfor p in sys.argv[1:]:\n s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(); s.close()', join(dir, 'stale.sock'), join(other, 'named.sock')]);
    writeFileSync(join(dir, 'plain.sock'), 'not a socket');
    // A process of the project names the other directory's socket.
    const census = classify(snapshot([proc(99999999, 1, [PY, '-m', 'src.main', `--addr=unix://${join(other, 'named.sock')}`, 'ipc:///nonexistent/rd.sock'])]), OPTS);
    const host = createHost({ platform: 'linux' });
    const o = await collectSocketFiles(host, census, { dirs: [dir], listening: new Set() });
    assert.equal(o.status, 'ok');
    if (o.status !== 'ok') return;
    const by = new Map(o.value.files.map((f) => [f.path, f]));
    assert.deepEqual([...by.keys()].sort(), [join(dir, 'live.sock'), join(dir, 'stale.sock'), join(other, 'named.sock')].sort());
    assert.equal(by.get(join(dir, 'live.sock'))!.state, 'answered');
    assert.equal(by.get(join(dir, 'stale.sock'))!.state, 'refused');
    assert.equal(by.get(join(dir, 'stale.sock'))!.why, `listing of ${dir}`);
    const named = by.get(join(other, 'named.sock'))!;
    assert.equal(named.state, 'refused');
    assert.deepEqual(named.namedBy, [99999999]);
    assert.match(named.why, /named by pid 99999999 \(argv\)/);
    assert.match(o.value.looked.find((l) => l.path === '/nonexistent/rd.sock')!.error!, /no such file/);
    const listed = await collectSocketFiles(host, census, { dirs: [dir], listening: new Set([join(dir, 'live.sock')]) });
    assert.ok(listed.status === 'ok' && listed.value.files.find((f) => f.path === join(dir, 'live.sock'))!.state === 'listening', 'in the listening set: listening, not asked');
    assert.equal((await collectSocketFiles(createHost({ platform: 'darwin' }), census, { dirs: [dir], listening: new Set() })).status, 'unavailable');
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
