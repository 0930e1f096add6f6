// The native proc reader (native/proc-scan.c, loaded by src/host/proc-scan.ts) against the
// JavaScript pass it stands in for: the same records, errors included, for the odd cases a proc
// root can hold (a tree built here, so that each case is known: a kernel thread, a pid gone
// between its listing and its read, a file where a directory should be, a cmdline longer than any
// buffer, fds that sort differently as strings and as numbers, bytes that are not UTF-8), and on
// this machine's real /proc; the prestarted pass adopted by the census; and RERUN_DOCTOR_NATIVE=0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nativeScanStatus, parsedStat, prestartProcScan, startProcScan, type ProcScanResult, type RawProc } from '../../src/host/proc-scan.js';
import { parseProcStat } from '../../src/os/linux/proc-pid.js';
import { listPids, rowFromRaw } from '../../src/probes/processes.linux.js';
import { createHost } from '../../src/host/host.js';
import { FD_CHILD_PY } from '../helpers/fd-child.js';

const onLinux = process.platform === 'linux';

test('the native reader is built and loads here (npm run build writes it)', { skip: !onLinux && 'Linux only' }, () => {
  const s = nativeScanStatus();
  assert.equal(s.loaded, true, s.loaded ? '' : `not loaded: ${s.reason}`);
  assert.equal(nativeScanStatus({ RERUN_DOCTOR_NATIVE: '0' }).loaded, false);
});

const statLine = (pid: number, comm: string, flags: number) => `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 ${flags} 0 0 0 0 5 6 0 0 20 0 1 0 1234 100000 250 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'rd-native-'));
  const pid = (n: number, files: { stat?: string | Buffer | 'dir'; cmdline?: Buffer | string; fd?: Record<string, string> | 'file' }) => {
    const dir = join(root, String(n));
    mkdirSync(dir);
    if (files.stat === 'dir') mkdirSync(join(dir, 'stat'));
    else if (files.stat !== undefined) writeFileSync(join(dir, 'stat'), files.stat);
    if (files.cmdline !== undefined) writeFileSync(join(dir, 'cmdline'), files.cmdline);
    if (files.fd === 'file') writeFileSync(join(dir, 'fd'), '');
    else if (files.fd) {
      mkdirSync(join(dir, 'fd'));
      for (const [fd, target] of Object.entries(files.fd)) symlinkSync(target, join(dir, 'fd', fd));
    }
  };
  // An ordinary process: a socket and a pipe kept, a file and a tty not; fds 9, 10 and 100 sort
  // differently as strings ("10" < "100" < "9") and as numbers.
  pid(100, { stat: statLine(100, 'python3', 0x400000), cmdline: 'python\0-m\0src.main\0', fd: { '0': '/dev/pts/0', '9': 'socket:[111]', '10': 'pipe:[222]', '100': 'socket:[333]', '3': '/tmp/x.log' } });
  // comm with a space and a ")", as proc(5) allows.
  pid(101, { stat: statLine(101, 'a) (b c', 0), cmdline: 'x\0', fd: {} });
  // A kernel thread (PF_KTHREAD): stat only, even though it has a cmdline and fds here.
  pid(102, { stat: statLine(102, 'kworker/0:1', 0x00208040), cmdline: 'never read\0', fd: { '1': 'socket:[9]' } });
  // Gone before its stat was read: no stat at all.
  pid(103, {});
  // stat is a directory: opened, then the read fails (EISDIR).
  pid(104, { stat: 'dir', cmdline: 'y\0', fd: {} });
  // Gone between its stat and its cmdline: no fd table read.
  pid(105, { stat: statLine(105, 'sh', 0), fd: { '1': 'pipe:[5]' } });
  // An fd table that cannot be listed (a file: ENOTDIR): not denied, not read.
  pid(106, { stat: statLine(106, 'sh', 0), cmdline: 'sh\0', fd: 'file' });
  // A cmdline far longer than the first buffer (64 KiB), and bytes that are not UTF-8.
  pid(107, { stat: statLine(107, 'big', 0), cmdline: Buffer.concat([Buffer.from('python\0'), Buffer.alloc(300_000, 0x61), Buffer.from([0, 0xff, 0xfe, 0xc3, 0]), Buffer.from('é\0')]), fd: {} });
  // An empty cmdline (a zombie's) and a stat with no newline.
  pid(108, { stat: statLine(108, 'z', 0).trimEnd(), cmdline: '', fd: {} });
  // Stat lines the reader leaves to the census's parser (no \`parsed\`), each for its own reason:
  // a negative field, two spaces, a state that is not ASCII, a number of 16 digits, a space
  // before the pid, a line cut after field 24. The parser takes some and rejects others.
  const line = (n: number) => statLine(n, 'odd', 0);
  pid(110, { stat: line(110).replace(' S 1 ', ' S -1 '), cmdline: 'a\0', fd: {} });
  pid(111, { stat: line(111).replace(' S 1 ', ' S  1 '), cmdline: 'b\0', fd: {} });
  pid(112, { stat: line(112).replace(' S 1 ', ' é 1 '), cmdline: 'c\0', fd: {} });
  pid(113, { stat: line(113).replace(' 1234 ', ' 1234567890123456 '), cmdline: 'd\0', fd: {} });
  pid(114, { stat: ' ' + line(114), cmdline: 'e\0', fd: {} });
  pid(115, { stat: line(115).split(' ').slice(0, 24).join(' ') + '\n', cmdline: 'f\0', fd: {} });
  // A plain line whose comm is not ASCII, one byte of it not UTF-8.
  pid(116, { stat: Buffer.concat([Buffer.from('116 (é'), Buffer.from([0xff]), Buffer.from(statLine(116, 'x', 0).slice('116 ('.length))]), cmdline: 'g\0', fd: {} });
  // Not a pid: never listed.
  mkdirSync(join(root, 'self'));
  writeFileSync(join(root, 'uptime'), '1.0 1.0\n');
  return root + '/';
}

const prefixes: string[] = [];
after(() => {
  for (const p of prefixes) rmSync(p, { recursive: true, force: true });
});

// The records without the native reader's parse of stat (the JavaScript pass has none): a line it
// parsed comes without its text (its numbers and comm instead: checkParsed compares those), so
// the JavaScript pass's text of that pid is left out of the comparison too.
const plain = ({ statNums: _n, statAt: _a, statState: _s, comm: _c, ...rest }: RawProc) => rest;
const sorted = (r: ProcScanResult, parsedBy?: ProcScanResult) =>
  [...r.procs.entries()]
    .map(([pid, raw]) => {
      const rec = plain(raw);
      const nat = parsedBy?.procs.get(pid);
      return [pid, nat && parsedStat(nat) !== null ? { ...rec, stat: null } : rec] as const;
    })
    .sort((a, b) => a[0] - b[0]);

/**
 * Every stat the reader parsed is exactly what the census's parser makes of the text the
 * JavaScript pass read (`fields`: only those, for a live process whose times and rss move between
 * the two reads); returns the pids it parsed.
 */
function checkParsed(r: ProcScanResult, js: ProcScanResult, fields?: (keyof ReturnType<typeof parseProcStat>)[]): number[] {
  const parsed: number[] = [];
  for (const [pid, raw] of r.procs) {
    const p = parsedStat(raw);
    if (p === null) continue;
    parsed.push(pid);
    assert.equal(raw.stat, null, `pid ${pid}: a parsed line comes without its text`);
    const text = js.procs.get(pid)?.stat;
    if (text === null || text === undefined) continue; // gone before the JavaScript pass read it
    // Live: a kernel worker's comm names the work it does now; only user processes are compared.
    if (fields && (p.flags & 0x00200000) !== 0) continue;
    const want = parseProcStat(text, `/proc/${pid}/stat`);
    const pick = (o: typeof want) => (fields ? Object.fromEntries(fields.map((f) => [f, o[f]])) : o);
    assert.deepEqual(pick(p), pick(want), `pid ${pid}: ${JSON.stringify(text)}`);
  }
  return parsed.sort((a, b) => a - b);
}

test('on odd proc trees, the native reader gives the JavaScript pass\'s records, errors and all', { skip: !onLinux && 'Linux only' }, async () => {
  const prefix = fixture();
  prefixes.push(prefix);
  // The census's listing (every pid dir), plus one it does not have: read here, gone.
  const pids = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116];
  for (const threads of ['1', '2']) {
    const env = { RERUN_DOCTOR_THREADS: threads };
    const js = await startProcScan(prefix, pids, { native: false, parallel: false, env }).finish();
    const nat = await startProcScan(prefix, pids, { env }).finish();
    assert.equal(js.nativePids, 0);
    assert.equal(nat.nativePids, 16, `threads=${threads}: the native reader read every pid it listed`);
    assert.deepEqual(sorted(nat), sorted(js, nat), `threads=${threads}`);
    assert.deepEqual([...nat.links.entries()].sort((a, b) => a[0] - b[0]), [...js.links.entries()].sort((a, b) => a[0] - b[0]));
    assert.deepEqual(nat.denied, js.denied);
    // The rows made from either pass's records: the same rows, the same errors (the native
    // records' rows come from the numbers the reader parsed, with no text in between).
    const host = createHost({ procRoot: prefix });
    const rowOf = (r: ProcScanResult, pid: number) => {
      try {
        return rowFromRaw(host, pid, r.procs.get(pid)!, 1_700_000_000, 4096, []);
      } catch (e) {
        return `throws ${(e as Error).message}`;
      }
    };
    for (const pid of pids) assert.deepEqual(rowOf(nat, pid), rowOf(js, pid), `threads=${threads}: the row of ${pid}`);
    assert.equal((rowOf(nat, 116) as { comm: string }).comm, 'é\ufffdx');
    // stat parsed on the reader's thread for the plain lines only, and then as the parser does.
    assert.deepEqual(checkParsed(nat, js), [100, 101, 102, 105, 106, 107, 108, 116], `threads=${threads}`);
    assert.deepEqual(checkParsed(js, js), []);
  }
  // The lines left to the parser: taken as it takes them, or rejected as it rejects them.
  const js = await startProcScan(prefix, pids, { native: false, parallel: false }).finish();
  const parse = (n: number) => () => parseProcStat(js.procs.get(n)!.stat!, `/proc/${n}/stat`);
  assert.equal(parse(110)().ppid, -1);
  assert.throws(parse(111), /field 4 is missing/);
  assert.equal(parse(112)().state, 'é');
  assert.equal(parse(113)().startTicks, 1234567890123456);
  assert.equal(parse(114)().pid, 114);
  assert.equal(parse(115)().rssPages, 250);
  // And what they are (so that agreeing on nothing could not pass).
  const r = await startProcScan(prefix, pids).finish();
  const p = (n: number) => r.procs.get(n)!;
  assert.deepEqual(r.links.get(100), { fds: [10, 100, 9], targets: ['pipe:[222]', 'socket:[333]', 'socket:[111]'] });
  assert.equal(p(100).cmdline, 'python\0-m\0src.main\0');
  assert.equal(p(101).stat, null);
  assert.equal(p(101).comm, 'a) (b c');
  assert.equal(parsedStat(p(101))!.comm, 'a) (b c');
  // A comm that is not ASCII, one byte of it not UTF-8: decoded as the parser decodes the line.
  assert.equal(parsedStat(p(116))!.comm, 'é\ufffdx');
  assert.deepEqual([p(102).cmdline, p(102).fds], [null, null]);
  assert.equal(p(103).statError, 'gone');
  assert.equal(p(104).statError, 'EISDIR: illegal operation on a directory, read');
  assert.deepEqual([p(105).cmdlineError, p(105).fds], ['gone', null]);
  assert.deepEqual([p(106).fds, p(106).fdDenied], [null, false]);
  assert.equal(p(107).cmdline!.length, 'python\0'.length + 300_000 + 5 + 2);
  assert.ok(p(107).cmdline!.endsWith('\0\ufffd\ufffd\ufffd\0é\0'), JSON.stringify(p(107).cmdline!.slice(-8)));
  assert.equal(p(108).cmdline, '');
  assert.equal(p(109).statError, 'gone');
  assert.deepEqual([...r.procs.keys()], pids, 'in the order of the census\'s listing');
  // No listing given: the pass's own (the native reader's, or one made in JavaScript), ascending,
  // every pid directory and nothing else.
  const own = await startProcScan(prefix, null).finish();
  const ownJs = await startProcScan(prefix, null, { native: false }).finish();
  assert.deepEqual([...own.procs.keys()], [100, 101, 102, 103, 104, 105, 106, 107, 108, 110, 111, 112, 113, 114, 115, 116]);
  assert.equal(own.nativePids, 16);
  assert.deepEqual(sorted(ownJs, own), sorted(own));
});

test('a proc root that cannot be listed: the pass reads in JavaScript instead, and without a listing it throws', { skip: !onLinux && 'Linux only' }, async () => {
  const r = await startProcScan('/nonexistent-rd-root/', [1]).finish();
  assert.equal(r.nativePids, 0);
  assert.equal(r.procs.get(1)!.statError, 'gone');
  // The census (probes/collect.ts) catches this and lets its probes say why.
  await assert.rejects(startProcScan('/nonexistent-rd-root/', null).finish(), { code: 'ENOENT' });
  assert.throws(() => startProcScan('/nonexistent-rd-root/', null, { native: false }), { code: 'ENOENT' });
});

test('on this machine\'s /proc: the same cmdlines and links as the JavaScript pass, for processes that stay still', { skip: !onLinux && 'Linux only' }, async () => {
  const child = spawn('/usr/bin/python3', ['-c', FD_CHILD_PY, 'an argument'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const pids = listPids(createHost());
    const js = await startProcScan('/proc/', pids, { native: false, parallel: false }).finish();
    const nat = await startProcScan('/proc/', pids).finish();
    assert.ok(nat.nativePids > 0 && nat.nativePids <= pids.length, `the native reader read ${nat.nativePids} of ${pids.length} pids`);
    assert.deepEqual([...nat.procs.keys()], pids);
    for (const pid of [child.pid!, 1]) {
      const a = nat.procs.get(pid)!;
      const b = js.procs.get(pid)!;
      assert.equal(a.cmdline, b.cmdline, `pid ${pid}`);
    }
    assert.deepEqual(nat.links.get(child.pid!), js.links.get(child.pid!));
    // The reader parsed (nearly) every stat here, each as the census's parser parses the text the
    // JavaScript pass read: the identity fields (the times, rss, state and flags move between reads).
    const parsed = checkParsed(nat, js, ['pid', 'comm', 'ppid', 'pgid', 'sid', 'ttyNr', 'startTicks']);
    assert.ok(parsed.includes(child.pid!) && parsed.includes(1), `parsed ${parsed.length} of ${nat.nativePids}`);
    const byFd = new Map(nat.links.get(child.pid!)!.fds.map((fd, i) => [fd, nat.links.get(child.pid!)!.targets[i]]));
    assert.match(byFd.get(40)!, /^socket:\[\d+\]$/);
    assert.equal(byFd.get(41), byFd.get(42));
  } finally {
    child.kill('SIGKILL');
  }
});

test('on this machine\'s /proc: an fd table longer than one directory read (3,000 pipe ends and sockets up to fd 9,000) comes whole', { skip: !onLinux && 'Linux only' }, async () => {
  // The reader lists an fd table with getdents64 and, on procfs, stops at a call that left room
  // for another entry (list_dir): this table takes several calls of its 64 KiB buffer.
  const code = `
import os, resource, socket, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 10000), hard))
keep = []
for i in range(1500):
    keep.append(os.pipe())
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
os.dup2(s.fileno(), 9000); os.dup2(s.fileno(), 4999)
print(len(os.listdir("/proc/self/fd")), *[fd for pair in keep for fd in pair], flush=True)
time.sleep(60)
`;
  const child = spawn('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let said = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => (said += d.toString()).endsWith('\n') && resolve()));
    const [open, ...pipeFds] = said.trim().split(' ').map(Number);
    assert.ok(open! > 3000 && pipeFds.length === 3000, `the child holds ${open} fds`);
    const js = await startProcScan('/proc/', [child.pid!], { native: false, parallel: false }).finish();
    const nat = await startProcScan('/proc/', [child.pid!]).finish();
    assert.equal(nat.nativePids, 1);
    const links = nat.links.get(child.pid!)!;
    assert.deepEqual(links, js.links.get(child.pid!));
    // Its 3,000 pipe ends, and the socket on 4999 and 9000.
    const pipes = new Set(links.fds.filter((_, i) => links.targets[i]!.startsWith('pipe:')));
    assert.deepEqual(pipeFds.filter((fd) => !pipes.has(fd)), []);
    const sockets = links.fds.filter((_, i) => links.targets[i]!.startsWith('socket:'));
    assert.ok(sockets.includes(4999) && sockets.includes(9000), `socket fds ${sockets.join(',')}`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a prestarted native pass is adopted once by the next pass of its root; RERUN_DOCTOR_NATIVE=0 reads in JavaScript', { skip: !onLinux && 'Linux only' }, async () => {
  prestartProcScan('/proc/');
  const pids = listPids(createHost());
  const adopted = await startProcScan('/proc/', pids).finish();
  assert.ok(adopted.nativePids > 0, `the prestarted native pass read ${adopted.nativePids} pids`);
  assert.equal(adopted.workerPids, 0);
  const again = await startProcScan('/proc/', pids.slice(0, 5)).finish();
  assert.equal(again.nativePids, 5, 'a later pass starts its own');
  const off = await startProcScan('/proc/', pids.slice(0, 5), { env: { RERUN_DOCTOR_NATIVE: '0' } }).finish();
  assert.equal(off.nativePids, 0);
  assert.equal(off.procs.size, 5);
  // A prestart while native is off starts the worker (or nothing on one core), never the native reader.
  prestartProcScan('/proc/', { RERUN_DOCTOR_NATIVE: '0' });
  const viaWorker = await startProcScan('/proc/', pids, { native: false }).finish();
  assert.equal(viaWorker.nativePids, 0);
});

test('on this machine\'s /proc, the reader\'s own listing (in pid order there): every record in its place, ascending', { skip: !onLinux && 'Linux only' }, async () => {
  const own = await startProcScan('/proc/', null).finish();
  const keys = [...own.procs.keys()];
  assert.ok(keys.length > 1 && own.nativePids === keys.length, `${own.nativePids} of ${keys.length}`);
  assert.deepEqual(keys, [...keys].sort((a, b) => a - b));
  // Each record is its own pid's: its parsed pid, and this process's command line.
  for (const [pid, raw] of own.procs) {
    const p = parsedStat(raw);
    if (p) assert.equal(p.pid, pid);
  }
  assert.equal(own.procs.get(process.pid)!.cmdline, (await startProcScan('/proc/', [process.pid], { native: false }).finish()).procs.get(process.pid)!.cmdline);
});
