// The census's proc scan (src/host/proc-scan.ts) in JavaScript (the native reader is
// proc-scan-native.test.ts's): every process's stat, cmdline and socket and
// pipe links, read with and without the worker thread that shares the pass, on this machine's real
// /proc; and the rows made from it against the rows read one by one (probes/processes.linux.ts).
// For processes whose tables we know: this test's own child, with a listener and a pipe on fixed fds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { prestartProcScan, startProcScan, type ProcScanResult } from '../../src/host/proc-scan.js';
import { isoMillis, listPids, readBootTime, readPageSize, readProcess, rowFromRaw } from '../../src/probes/processes.linux.js';
import { createHost } from '../../src/host/host.js';
import { isKernelThreadFlags, parseProcStat } from '../../src/os/linux/proc-pid.js';
import { FD_CHILD_PY } from '../helpers/fd-child.js';

const ARGV = ['/usr/bin/python3', '-c', FD_CHILD_PY, 'an argument with spaces', ''];
const child = spawn(ARGV[0]!, ARGV.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
after(() => child.kill('SIGKILL'));
const ready = new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));

function checkChild(r: ProcScanResult, label: string): void {
  const raw = r.procs.get(child.pid!);
  assert.ok(raw, `${label}: child ${child.pid} read (worker took ${r.workerPids} pids)`);
  assert.match(raw.stat ?? '', new RegExp(`^${child.pid} \\(python3\\) `));
  assert.equal(raw.cmdline, ARGV.join('\0') + '\0', `${label}: the whole cmdline, NULs and the empty last argument kept`);
  const mine = r.links.get(child.pid!);
  assert.ok(mine, `${label}: child's fd table read`);
  const byFd = new Map(mine.fds.map((fd, i) => [fd, mine.targets[i]!]));
  assert.match(byFd.get(40) ?? '', /^socket:\[\d+\]$/);
  assert.match(byFd.get(41) ?? '', /^pipe:\[\d+\]$/);
  assert.equal(byFd.get(41), byFd.get(42), 'both ends of one pipe');
  // Only sockets and pipes are kept: the python binary's own files are not.
  assert.ok(mine.targets.every((t) => t.startsWith('socket:') || t.startsWith('pipe:')), mine.targets.join(' '));
}

test('with a worker and without, the pass reads the same stat, cmdline and links, and covers the listing once', async () => {
  await ready;
  const pids = listPids(createHost());
  const serial = await startProcScan('/proc/', pids, { parallel: false, native: false }).finish();
  const parallel = await startProcScan('/proc/', pids, { parallel: true, native: false }).finish();
  assert.equal(serial.workerPids, 0);
  checkChild(serial, 'serial');
  checkChild(parallel, 'parallel');
  // The child's table did not change between the scans: the same links, in the same order.
  assert.deepEqual(parallel.links.get(child.pid!), serial.links.get(child.pid!));
  assert.equal(parallel.procs.get(child.pid!)!.cmdline, serial.procs.get(child.pid!)!.cmdline);
  // Every pid of the listing has its record, whoever read it, and no other pid.
  for (const r of [serial, parallel]) {
    assert.deepEqual([...r.procs.keys()].sort((a, b) => a - b), pids);
  }
});

test('a kernel thread is read for its stat only: no cmdline, no fd table', async (t) => {
  // Kernel threads told by their flag, as the census tells them: visible outside a PID namespace.
  const host = createHost();
  const kthreads = listPids(host).filter((pid) => {
    try {
      return isKernelThreadFlags(parseProcStat(host.proc.read(`${pid}/stat`), 'stat').flags);
    } catch {
      return false;
    }
  });
  if (kthreads.length === 0) {
    t.skip('no kernel thread visible here (a PID namespace)');
    return;
  }
  const r = await startProcScan('/proc/', kthreads.slice(0, 5).concat(process.pid), { parallel: false, native: false }).finish();
  for (const pid of kthreads.slice(0, 5)) {
    const raw = r.procs.get(pid)!;
    if (raw.stat === null) continue; // exited since
    assert.equal(raw.cmdline, null, `kernel thread ${pid}: no cmdline read`);
    assert.equal(raw.fds, null, `kernel thread ${pid}: no fd table read`);
    assert.equal(r.links.has(pid), false);
  }
  // And an ordinary process beside them is read whole.
  assert.notEqual(r.procs.get(process.pid)!.cmdline, null);
  assert.ok(r.links.has(process.pid), 'this process: fd table read');
});

test('a pid that does not exist is gone, not an error, on either side', async () => {
  // Above any pid_max (4194304): read on this thread, never claimed in the bitmap.
  const r = await startProcScan('/proc/', [4194305, 999999999], { parallel: true, native: false }).finish();
  for (const pid of [4194305, 999999999]) {
    const raw = r.procs.get(pid)!;
    assert.equal(raw.stat, null);
    assert.equal(raw.statError, 'gone');
  }
});

test('a worker told to read nothing is not waited for, and an empty list reads nothing', async () => {
  const r = await startProcScan('/proc/', [], { parallel: true, native: false }).finish();
  assert.equal(r.procs.size, 0);
  assert.equal(r.links.size, 0);
  assert.equal(r.workerPids, 0);
});

test('RERUN_DOCTOR_THREADS=1 keeps the pass on this thread', async () => {
  const pids = listPids(createHost());
  const r = await startProcScan('/proc/', pids, { native: false, env: { RERUN_DOCTOR_THREADS: '1' } }).finish();
  assert.equal(r.workerPids, 0);
  assert.ok(r.links.has(process.pid), 'this process read');
});

test('a prestarted worker (the CLI starts it first thing) is adopted by the next pass of its root, once, and reads the same', async () => {
  await ready;
  prestartProcScan('/proc/', { RERUN_DOCTOR_NATIVE: '0' });
  // Give it time to claim pids: the pass must then take its results for them.
  await new Promise((r) => setTimeout(r, 300));
  const pids = listPids(createHost());
  const adopted = await startProcScan('/proc/', pids, { native: false }).finish();
  assert.ok(adopted.workerPids > 0, `the prestarted worker claimed pids (${adopted.workerPids})`);
  // It claims from the highest pid down: the child (started after this test's runner) is likely its.
  checkChild(adopted, 'adopted');
  // Only pids of the census's own listing are kept, whoever read them.
  assert.deepEqual([...adopted.procs.keys()].sort((a, b) => a - b), pids);
  // Adopted once: a second pass (a later census in this process) starts its own or none.
  const again = await startProcScan('/proc/', pids.slice(0, 10), { native: false }).finish();
  assert.equal(again.workerPids, 0);
});

test('the rows made from the pass are the rows read one by one', async () => {
  await ready;
  const host = createHost();
  const pids = listPids(host);
  const boot = readBootTime(host);
  const page = readPageSize(host);
  const scan = await startProcScan('/proc/', pids, { parallel: true, native: false }).finish();
  // And the native reader's (where built): its rows are made from the numbers it parsed.
  const nat = await startProcScan('/proc/', pids).finish();
  const deniedRaw: number[] = [];
  const deniedOne: number[] = [];
  let compared = 0;
  for (const signed of [child.pid!, process.pid, 1, ...(nat.nativePids > 0 ? [-child.pid!, -process.pid, -1] : [])]) {
    const from = signed > 0 ? scan : nat;
    const pid = Math.abs(signed);
    const a = rowFromRaw(host, pid, from.procs.get(pid)!, boot, page, deniedRaw);
    const b = readProcess(host, pid, boot, page, deniedOne);
    assert.ok(a && b, `pid ${pid} has a row both ways`);
    // cpu time and rss move between the two reads; everything that identifies the process does not.
    const same = (p: NonNullable<typeof a>) => ({ ...p, cpuSeconds: 0, rssBytes: 0, state: '' });
    assert.deepEqual(same(a), same(b));
    compared++;
  }
  assert.equal(compared, nat.nativePids > 0 ? 6 : 3);
  const kid = rowFromRaw(host, child.pid!, scan.procs.get(child.pid!)!, boot, page, deniedRaw)!;
  assert.deepEqual(kid.argv, ARGV);
  assert.equal(kid.ppid, process.pid);
  // Errors come out as readProcess's: gone is no row; denied cmdline is an empty argv, noted.
  const base = { stat: null, cmdline: null, cmdlineError: null, fds: null, targets: null, fdDenied: false };
  assert.equal(rowFromRaw(host, 7, { ...base, statError: 'gone' }, boot, page, deniedRaw), null);
  assert.throws(() => rowFromRaw(host, 7, { ...base, statError: 'denied' }, boot, page, deniedRaw), /\/proc\/7\/stat: access denied/);
  const stat = scan.procs.get(child.pid!)!.stat!;
  const denied: number[] = [];
  const d = rowFromRaw(host, child.pid!, { ...base, stat, statError: null, cmdlineError: 'denied' }, boot, page, denied);
  assert.deepEqual([d?.argv, denied], [[], [child.pid]]);
  assert.equal(rowFromRaw(host, child.pid!, { ...base, stat, statError: null, cmdlineError: 'gone' }, boot, page, denied), null);
});

test('isoMillis is Date.prototype.toISOString, also across seconds, before 1970 and past year 9999', () => {
  const cases = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, -1, -999, -1000, -1001, 1764692734123, 1764692734999, 1764692735000, 1764692735007, 253402300799999, 253402300800000, 8.64e15];
  // In order and shuffled: the reused prefix must never leak from one second into another.
  for (const ms of [...cases, ...[...cases].reverse(), ...cases.filter((c) => c < 8.64e15).map((c) => c + 1)]) assert.equal(isoMillis(ms), new Date(ms).toISOString(), String(ms));
});
