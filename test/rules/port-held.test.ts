// port-held on built inputs: a dead run's TCP and unix listeners beyond the watched ports, stale
// socket files, docker-proxy's container side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { portReports } from '../../src/census/ports.js';
import type { ProcessInfo, UnixListeningSocket } from '../../src/model/snapshot.js';
import type { SocketFile } from '../../src/model/socket-files.js';
import { runRules } from '../../src/rules/diagnose.js';
import { RULES } from '../../src/rules/index.js';
import type { DiagnosisInput } from '../../src/rules/types.js';
import { INIT, listen, OPTS, proc, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { inputFrom, okValue, runRule } from '../helpers/rule-tester.js';

const rule = RULES['port-held'];
const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];
/** A SIGKILLed run: its tracker and two spawn workers re-parented to init, in the dead main's group. */
const dead = (env?: Record<string, string>) => [proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1 }), proc(1002, 1, SPAWN, { ...T, pgid: 1000, start: 1.1, env }), proc(1003, 1, SPAWN, { ...T, pgid: 1000, start: 1.2, env })];
const local = (port: number, inode: number, owners: number[]) => listen(port, inode, owners, '127.0.0.1');
const unix = (path: string, inode: number, owners: number[]): UnixListeningSocket => ({ path, abstract: path.startsWith('@'), type: 'stream', id: `inode:${inode}`, owners: owners.map((pid) => ({ pid, fd: 7 })), source: '/proc/net/unix' });

function withUnix(processes: ProcessInfo[], sockets: ReturnType<typeof listen>[], unixSockets: UnixListeningSocket[], extra: Partial<DiagnosisInput> = {}, projectRoot: string | null = null): DiagnosisInput {
  const base = inputFrom(processes, sockets, extra);
  const census = classify({ ...base.census.snapshot, unixSockets }, { ...OPTS, projectRoot });
  return { ...base, census, ports: portReports(census, OPTS.ports, OPTS.ports) };
}

test('a dead run holding 29500 and a unix socket: one finding naming both; a running run holding them: nothing', () => {
  const f = runRule(rule, withUnix([...live, ...dead()], [local(29500, 5, [1002])], [unix('/srv/app/worker.sock', 6, [1003]), unix('@zmq-abstract', 7, [1003])]));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'error');
  assert.equal(f[0]!.messageId, 'held');
  assert.deepEqual(f[0]!.pids, [1002, 1003]);
  assert.deepEqual(f[0]!.ports, [29500]);
  assert.match(f[0]!.title, /^dead run 1 still holds 3 listeners beyond the watched ports: 127\.0\.0\.1:29500, \/srv\/app\/worker\.sock, @zmq-abstract$/);
  const texts = f[0]!.evidence.map((e) => e.text).join('\n');
  assert.match(texts, /127\.0\.0\.1:29500 \(torch\.distributed's default MASTER_PORT\) listens, held by pid 1002 \(worker\/spawn-worker, orphan\)/);
  assert.match(texts, /unix stream socket \/srv\/app\/worker\.sock listens, held by pid 1003/);
  assert.match(texts, /@zmq-abstract \(abstract: no file\)/);
  assert.match(f[0]!.fix, /rerun-doctor clean/);
  assert.match(f[0]!.fix, /unlink it before bind\(\)/);
  // the live run holding the same things: its own, by design
  assert.deepEqual(runRule(rule, withUnix(live, [local(29500, 5, [2002])], [unix('/srv/app/worker.sock', 6, [2002])])), []);
});

test("multiprocessing's own listeners (a forkserver's, a Manager's: a new random name each run) are not held ports", () => {
  const mp = [unix('/tmp/pymp-lgh6n084/listener-rs40b6sw', 8, [1003]), unix('@listener-1003-0', 9, [1003])];
  assert.deepEqual(runRule(rule, withUnix([...live, ...dead()], [], mp)), [], 'nothing when they are all the dead run holds');
  const f = runRule(rule, withUnix([...live, ...dead()], [], [...mp, unix('/srv/app/worker.sock', 6, [1003])]));
  assert.equal(f.length, 1);
  assert.match(f[0]!.title, /1 listener beyond the watched ports: \/srv\/app\/worker\.sock$/);
  assert.doesNotMatch(f[0]!.evidence.map((e) => e.text).join('\n'), /pymp-|@listener-/);
});

test("MASTER_PORT names the port as torch.distributed's; a ZMQ ipc:// path the run names is labelled", () => {
  const env = { MASTER_PORT: '29611', MASTER_ADDR: '127.0.0.1' };
  const procs = [...live, ...dead(env)].map((p) => (p.pid === 1003 ? { ...p, argv: [...p.argv, '--zmq=ipc:///tmp/rd/ipc0'] } : p));
  const f = runRule(rule, withUnix(procs, [local(29611, 5, [1002])], [unix('/tmp/rd/ipc0', 6, [1003])]));
  const texts = f[0]!.evidence.map((e) => e.text).join('\n');
  assert.match(texts, /127\.0\.0\.1:29611 \(torch\.distributed: its MASTER_PORT\)/);
  assert.match(texts, /\/tmp\/rd\/ipc0 \(ZMQ ipc:\/\/\)/);
});

test("a watched port is orphan-server's, not repeated here; a detached run alone (maybe on purpose) is not dead", () => {
  assert.deepEqual(runRule(rule, withUnix([...live, ...dead()], [local(50051, 5, [1002]), listen(8080, 6, [1003])], [])), [], 'only watched ports held: nothing');
  const f = runRule(rule, withUnix([...live, ...dead()], [local(50051, 5, [1002]), local(29500, 6, [1002])], []));
  assert.deepEqual(f[0]!.ports, [29500], 'the watched port is left out');
  const detached = [proc(1000, 1, SERVER, { ...T, pgid: 1000, start: 1 }), proc(1002, 1000, SPAWN, { ...T, pgid: 1000, start: 1.1 })];
  assert.deepEqual(runRule(rule, withUnix([INIT, ...detached], [local(29500, 5, [1002])], [])), [], 'a detached run alone may be running on purpose');
  assert.equal(runRule(rule, withUnix([INIT, ...detached], [local(29500, 5, [1002])], [], { ownLeftovers: [1000] })).length, 1, 'unless check stopped it');
  assert.equal(runRule(rule, withUnix([...live, ...detached], [local(29500, 5, [1002])], [])).length, 1, 'or a newer run runs beside it');
});

const file = (path: string, state: SocketFile['state'], more: Partial<SocketFile> = {}): SocketFile => ({ path, source: path, why: 'listing of /p', namedBy: [], inode: 9, uid: 1000, mtime: '2026-01-01T00:00:00.000Z', state, detail: null, ...more });
const files = (fs: SocketFile[]) => okValue({ files: fs, looked: [], truncated: false });

test('an ownerless socket file: a warning with rm PATH when it is the project\'s; info elsewhere; nothing for a listening or answering one', () => {
  const f = runRule(rule, withUnix(live, [], [], { socketFiles: files([file('/p/server.sock', 'refused'), file('/p/live.sock', 'listening'), file('/tmp/other.sock', 'answered')]) }, '/p'));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'staleSocketFiles');
  assert.equal(f[0]!.severity, 'warning');
  assert.match(f[0]!.title, /^1 unix socket file nothing listens on: \/p\/server\.sock$/);
  assert.match(f[0]!.fix, /rm \/p\/server\.sock/);
  assert.match(f[0]!.fix, /rerun-doctor never deletes them/);
  assert.deepEqual(f[0]!.next.slice(0, 1), ['rm /p/server.sock']);
  const elsewhere = runRule(rule, withUnix(live, [], [], { socketFiles: files([file('/tmp/x y.sock', 'refused', { why: 'listing of /tmp' })]) }, '/p'));
  assert.equal(elsewhere[0]!.severity, 'info', "a stale socket in /tmp that the project does not name: noted");
  assert.match(elsewhere[0]!.fix, /rm '\/tmp\/x y\.sock'/, 'quoted for the shell');
  const named = runRule(rule, withUnix(live, [], [], { socketFiles: files([file('/run/app.sock', 'refused', { namedBy: [2000], why: 'named by pid 2000 (argv)' })]) }, '/p'));
  assert.equal(named[0]!.severity, 'warning', 'named by a process of the project');
  assert.deepEqual(named[0]!.pids, [2000]);
  assert.deepEqual(runRule(rule, withUnix(live, [], [], { socketFiles: files([file('/p/a.sock', 'unchecked')]) }, '/p')), [], 'unchecked is not said to be stale');
});

const DOCKERD = proc(700, 1, ['/usr/bin/dockerd', '-H', 'fd://'], { pgid: 700, sid: 700, tty: null, start: -100, comm: 'dockerd', uid: 0, cwd: '/' });
const proxy = (hostPort: number, pid = 701) =>
  proc(pid, 700, ['/usr/bin/docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', String(hostPort), '-container-ip', '172.17.0.2', '-container-port', '8000'], { pgid: 700, sid: 700, tty: null, start: -99, comm: 'docker-proxy', uid: 0, exe: '/usr/bin/docker-proxy', cwd: '/' });

test('docker-proxy on a watched port: the container side and docker stop, never clean; orphan-server says nothing of it', () => {
  const input = withUnix([...live, DOCKERD, proxy(8080)], [listen(8080, 5, [701])], []);
  const f = runRule(rule, input);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'dockerProxy');
  assert.equal(f[0]!.severity, 'warning');
  assert.equal(f[0]!.title, ':8080 is published by docker-proxy 701 for container 172.17.0.2:8000');
  assert.match(f[0]!.fix, /docker ps --filter publish=8080/);
  assert.match(f[0]!.fix, /docker stop <container>/);
  assert.match(f[0]!.fix, /Never kill docker-proxy/);
  assert.ok(!f[0]!.next.some((n) => /clean/.test(n)), 'clean is not offered');
  assert.deepEqual(runRule(RULES['orphan-server'], input), [], 'not said twice, and not as a server to clean');
  const d = runRules(input);
  assert.deepEqual(d.findings.map((x) => x.id), ['port-held']);
  // an unwatched port: only when the project names it
  assert.deepEqual(runRule(rule, withUnix([...live, DOCKERD, proxy(29500)], [listen(29500, 5, [701])], [])), [], 'a port nobody in the project names');
  const named = [...live.map((p) => (p.pid === 2002 ? { ...p, env: { MASTER_PORT: '29500' } } : p)), DOCKERD, proxy(29500)];
  assert.equal(runRule(rule, withUnix(named, [listen(29500, 5, [701])], []))[0]!.messageId, 'dockerProxy', 'MASTER_PORT of the project names it');
});
