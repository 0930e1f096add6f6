import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ParseError } from '../../src/host/errors.js';
import { decodeIpv4, decodeIpv6, parseNetTcp, TCP_LISTEN } from '../../src/os/linux/proc-net.js';
import { isKernelThreadFlags, parseAuxvPageSize, parseBootTime, parseCgroup, parseCmdline, parseEnviron, parseFdLink, parsePasswd, parseProcStat, parseProcStatus, sigkillPending, signalsInMask, ttyName } from '../../src/os/linux/proc-pid.js';
import { fixture } from '../helpers/paths.js';

const cap = (name: string) => readFileSync(fixture('linux', 'captured', name), 'utf8');

test('stat: comm with spaces and a closing parenthesis is split on the last ")"', () => {
  const s = parseProcStat(cap('stat-parens'), 'stat-parens');
  assert.equal(s.pid, 4584);
  assert.equal(s.comm, 'sle) (ep x');
  assert.equal(s.state, 'S');
  assert.equal(s.ppid, 4583);
  assert.equal(s.pgid, 4579);
  assert.equal(s.sid, 1102);
  assert.equal(s.startTicks, 53674);
  assert.equal(s.rssPages, 402);
});

test('stat: the comm forms seen in the wild', () => {
  const rest = 'S 6632 25097 25097 34816 25097 4194304 1 0 0 0 3 4 0 0 20 0 1 0 777 1000 50 1';
  for (const comm of ['sle ep', 'sleep (2) .sh', 'Plex New Transc', 'tmux: server', 'a\nb', ')', '((']) {
    const s = parseProcStat(`25097 (${comm}) ${rest}`, 'x');
    assert.equal(s.comm, comm);
    assert.equal(s.ppid, 6632);
    assert.equal(s.startTicks, 777);
    assert.equal(s.utimeTicks, 3);
    assert.equal(s.stimeTicks, 4);
  }
});

test('stat: a zombie parses, state Z', () => {
  const s = parseProcStat(cap('stat-zombie'), 'stat-zombie');
  assert.equal(s.state, 'Z');
  assert.equal(s.comm, 'true');
});

test('stat: truncated text is a ParseError naming the source', () => {
  assert.throws(() => parseProcStat('123 (x) S 1 2', '/proc/123/stat'), (e: Error) => e instanceof ParseError && /\/proc\/123\/stat/.test(e.message));
  assert.throws(() => parseProcStat('garbage', '/proc/9/stat'), ParseError);
});

test('status: uid, VmRSS, the innermost NSpid and SigIgn; a zombie has no VmRSS', () => {
  const st = parseProcStatus(cap('status-parens'));
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(cap('status-parens'))![1]);
  const ns = Number(/NSpid:\s+(\d+)/.exec(cap('status-parens'))![1]);
  assert.deepEqual(st, { uid: 0, rssBytes: kb * 1024, nsPid: ns, nsPids: [ns], sigIgn: '0000000000000000', sigPnd: '0000000000000000', shdPnd: '0000000000000000', threads: 1, involuntarySwitches: 2, cpusAllowed: '0-1' });
  assert.equal(parseProcStatus(cap('status-zombie')).rssBytes, null);
  assert.deepEqual(parseProcStatus('Name:\tx\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t  2048 kB\n'), { uid: 1000, rssBytes: 2048 * 1024, nsPid: null, nsPids: null, sigIgn: null, sigPnd: null, shdPnd: null, threads: null, involuntarySwitches: null, cpusAllowed: null });
  // A container's init: NSpid lists the pid in every namespace, outermost first.
  assert.equal(parseProcStatus('Name:\ttini\nNSpid:\t48213\t1\nSigIgn:\t0000000000000001\n').nsPid, 1);
  // Every level kept, outermost first: pid 48213 in the namespace of the /proc read, 7 in its container, 3 in one nested inside.
  const nested = parseProcStatus('Name:\tpython3\nState:\tD (disk sleep)\nNSpid:\t48213\t7\t3\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n');
  assert.deepEqual([nested.nsPids, nested.nsPid], [[48213, 7, 3], 3]);
  assert.equal(parseProcStatus('NSpid:\t48213\tx\n').nsPids, null, 'a garbled line is unknown, not a partial list');
  // SIGKILL (9) pending: bit 8, mask 0x100, in either the thread's or the process's set.
  assert.equal(sigkillPending(nested.sigPnd, nested.shdPnd), true);
  assert.equal(sigkillPending('0000000000000100', '0000000000000000'), true);
  assert.equal(sigkillPending('0000000000004000', '0000000000000080'), false, 'SIGTERM (15) and SIGSEGV (8) pending are not SIGKILL');
  assert.equal(sigkillPending(null, undefined), null);
  // nohup leaves SIGHUP (1) ignored; a background job of a script, SIGINT (2) and SIGQUIT (3).
  assert.deepEqual(signalsInMask('0000000000000001'), [1]);
  assert.deepEqual(signalsInMask('0000000000000006'), [2, 3]);
});

test('stat flags: PF_KTHREAD tells a kernel thread, not its pid', () => {
  const kthread = '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0';
  const user = '2 (sh) S 0 2 2 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5000 2670592 200 18446744073709551615 1 1 0 0 0 0 0 0 65538 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';
  assert.equal(isKernelThreadFlags(parseProcStat(kthread, 'test').flags), true, 'kthreadd: flags 0x208040');
  assert.equal(isKernelThreadFlags(parseProcStat(user, 'test').flags), false, 'pid 2 in a container is an ordinary process');
});

test('environ: only the keys that tie a process to its run and project are kept', () => {
  const env = parseEnviron('PATH=/usr/bin\0AWS_SECRET_ACCESS_KEY=abc\0PWD=/home/u/proj\0RERUN_DOCTOR_RUN_ID=a1,b2\0VIRTUAL_ENV=/home/u/proj/.venv\0=odd\0noequals\0');
  assert.deepEqual(env, { PWD: '/home/u/proj', RERUN_DOCTOR_RUN_ID: 'a1,b2', VIRTUAL_ENV: '/home/u/proj/.venv' });
});

test('cmdline: NUL-separated argv, trailing NUL dropped, empty for zombies', () => {
  assert.deepEqual(parseCmdline(cap('cmdline-spawn')), ['/usr/bin/python3', '-B', '-c', 'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6, pipe_handle=8)', '--multiprocessing-fork']);
  assert.deepEqual(parseCmdline(cap('cmdline-zombie')), []);
  assert.deepEqual(parseCmdline('a\0\0b\0'), ['a', '', 'b']);
  // setproctitle'd processes may leave no NUL at all
  assert.deepEqual(parseCmdline('VLLM::EngineCore'), ['VLLM::EngineCore']);
});

test('btime, cgroup, fd links, passwd, tty', () => {
  assert.ok(parseBootTime(cap('proc-stat-btime'), 'x') > 1_600_000_000, 'parseBootTime(cap(\'proc-stat-btime\'), \'x\') > 1_600_000_000');
  assert.throws(() => parseBootTime('cpu 1 2 3', '/proc/stat'), ParseError);
  assert.equal(parseCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope\n'), '/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope');
  assert.equal(parseCgroup('12:pids:/system.slice/ssh.service\n0::/system.slice/ssh.service\n'), '/system.slice/ssh.service');
  assert.equal(parseCgroup('12:pids:/docker/abc\n'), '/docker/abc');
  assert.deepEqual(parseFdLink('socket:[5166]'), { kind: 'socket', inode: 5166 });
  assert.deepEqual(parseFdLink('pipe:[42]'), { kind: 'pipe', inode: 42 });
  assert.equal(parseFdLink('/dev/null'), null);
  assert.equal(parseFdLink('anon_inode:[eventpoll]'), null);
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000::/home/alice:/bin/zsh\nbroken\n');
  assert.equal(users.get(0), 'root');
  assert.equal(users.get(1000), 'alice');
  assert.equal(users.size, 2);
  assert.equal(ttyName(0), null);
  assert.equal(ttyName((136 << 8) | 3), 'pts/3');
  assert.equal(ttyName((4 << 8) | 1), 'tty1');
  assert.equal(ttyName((136 << 8) | (300 & 0xff) | ((300 & 0xfff00) << 12)), 'pts/300');
});

test('tcp6: [::] dual-stack, ::1 and IPv4-mapped listeners, real capture', () => {
  const rows = parseNetTcp(cap('tcp6'), 6, 'tcp6');
  const listening = rows.filter((r) => r.state === TCP_LISTEN).map((r) => `${r.address} ${r.port} ${r.inode}`);
  assert.deepEqual(listening.sort(), [':: 50051 6852', '::1 8080 6853', '::ffff:127.0.0.1 9464 6854']);
});

test('tcp: IPv4 byte order and ports, real capture', () => {
  const rows = parseNetTcp(cap('tcp'), 4, 'tcp');
  assert.deepEqual(rows.map((r) => `${r.address}:${r.port}`), ['127.0.0.1:8081', '0.0.0.0:8082', '0.0.0.0:2024']);
  assert.ok(rows.every((r) => r.family === 4 && r.state === TCP_LISTEN && r.uid === 0), 'rows.every((r) => r.family === 4 && r.state === TCP_LISTEN && r.uid === 0)');
});

test('address decoding by hand', () => {
  assert.equal(decodeIpv4('0100007F'), '127.0.0.1');
  assert.equal(decodeIpv4('0100007F', false), '1.0.0.127');
  assert.equal(decodeIpv6('B80D01200000000067452301EFCDAB89'), '2001:db8::123:4567:89ab:cdef');
  assert.equal(decodeIpv6('00000000000000000000000001000000'), '::1');
  assert.equal(decodeIpv6('00000000000000000000000000000000'), '::');
  assert.equal(decodeIpv6('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  // fe80::215:1ff:fee5:8afe
  assert.equal(decodeIpv6('000080FE00000000FF011502FE8AE5FE'), 'fe80::215:1ff:fee5:8afe');
});

test('tcp: a malformed row is a ParseError with its line number', () => {
  const text = '  sl  local_address rem_address   st\n   0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 0 0 55 1\n   1: zzzz\n';
  assert.throws(() => parseNetTcp(text, 4, '/proc/net/tcp'), /line 3/);
  assert.throws(() => parseNetTcp('h\n 0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 0 0 55 1\n', 6, 'tcp6'), /bad local address/);
});

test('auxv: AT_PAGESZ from this machine, and from hand-made vectors', () => {
  const mine = parseAuxvPageSize(readFileSync('/proc/self/auxv'));
  assert.ok(mine === 4096 || mine === 16384 || mine === 65536, `page size ${mine}`);
  const vec = (pairs: Array<[number, number]>) => {
    const b = Buffer.alloc(pairs.length * 16);
    pairs.forEach(([t, v], i) => {
      b.writeBigUInt64LE(BigInt(t), i * 16);
      b.writeBigUInt64LE(BigInt(v), i * 16 + 8);
    });
    return b;
  };
  assert.equal(parseAuxvPageSize(vec([[33, 123], [6, 16384], [0, 0]])), 16384);
  assert.equal(parseAuxvPageSize(vec([[33, 123], [0, 0], [6, 4096]])), null, 'nothing after AT_NULL');
  assert.equal(parseAuxvPageSize(vec([[6, 3000]])), null, 'not a power of two');
  assert.equal(parseAuxvPageSize(Buffer.alloc(0)), null);
});
