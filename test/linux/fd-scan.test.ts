// The census's fd scan (src/host/fd-scan.ts), with and without the worker thread that shares it,
// on this machine's real /proc: the same socket and pipe links either way, for processes whose
// tables we know (this test's own child, with a listener and a pipe on fixed fds).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { prestartFdScan, startFdScan } from '../../src/host/fd-scan.js';
import { listPids } from '../../src/probes/processes.linux.js';
import { createHost } from '../../src/host/host.js';

const PY = `
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
r, w = os.pipe()
os.dup2(s.fileno(), 40); os.dup2(r, 41); os.dup2(w, 42)
print(s.getsockname()[1], flush=True)
time.sleep(60)
`;
const child = spawn('/usr/bin/python3', ['-c', PY], { stdio: ['ignore', 'pipe', 'inherit'] });
after(() => child.kill('SIGKILL'));
const ready = new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));

test('with a worker and without, the scan finds the same sockets and pipes, and the child on its fds 40-42', async () => {
  await ready;
  const pids = listPids(createHost());
  const serial = await startFdScan('/proc/', pids, { parallel: false }).finish();
  const parallel = await startFdScan('/proc/', pids, { parallel: true }).finish();
  assert.equal(serial.workerPids, 0);
  for (const r of [serial, parallel]) {
    const mine = r.links.get(child.pid!);
    assert.ok(mine, `child ${child.pid} scanned (worker took ${r.workerPids} pids)`);
    const byFd = new Map(mine.fds.map((fd, i) => [fd, mine.targets[i]!]));
    assert.match(byFd.get(40) ?? '', /^socket:\[\d+\]$/);
    assert.match(byFd.get(41) ?? '', /^pipe:\[\d+\]$/);
    assert.equal(byFd.get(41), byFd.get(42), 'both ends of one pipe');
    // Only sockets and pipes are kept: the python binary's own files are not.
    assert.ok(mine.targets.every((t) => t.startsWith('socket:') || t.startsWith('pipe:')), mine.targets.join(' '));
  }
  // The child's table did not change between the scans: the same links, in the same order.
  assert.deepEqual(parallel.links.get(child.pid!), serial.links.get(child.pid!));
  // Every pid is scanned by exactly one side: together they cover the listing.
  const covered = parallel.links.size + parallel.denied.length;
  assert.ok(covered >= pids.length - 5 && covered <= pids.length, `covered ${covered} of ${pids.length} (a few may exit between listing and scan)`);
});

test('a worker told to scan nothing is not waited for, and an empty list scans nothing', async () => {
  const r = await startFdScan('/proc/', [], { parallel: true }).finish();
  assert.equal(r.links.size, 0);
  assert.equal(r.workerPids, 0);
});

test('RERUN_DOCTOR_THREADS=1 keeps the scan on this thread', async () => {
  const pids = Array.from({ length: 500 }, () => process.pid);
  const r = await startFdScan('/proc/', pids, { env: { RERUN_DOCTOR_THREADS: '1' } }).finish();
  assert.equal(r.workerPids, 0);
  assert.ok(r.links.has(process.pid), 'this process scanned');
});

test('a prestarted worker (the CLI starts it first thing) is adopted by the next scan of its root, once, and finds the same links', async () => {
  await ready;
  prestartFdScan('/proc/');
  // Give it time to claim pids: the scan must then take its results for them.
  await new Promise((r) => setTimeout(r, 300));
  const pids = listPids(createHost());
  const adopted = await startFdScan('/proc/', pids).finish();
  const serial = await startFdScan('/proc/', pids, { parallel: false }).finish();
  assert.ok(adopted.workerPids > 0, `the prestarted worker claimed pids (${adopted.workerPids})`);
  assert.deepEqual(adopted.links.get(child.pid!), serial.links.get(child.pid!));
  // Only pids of the census's own listing are kept, whoever scanned them.
  for (const pid of adopted.links.keys()) assert.ok(pids.includes(pid), `pid ${pid} is in the listing`);
  // Adopted once: a second scan (a later census in this process) starts its own or none.
  const again = await startFdScan('/proc/', pids.slice(0, 10)).finish();
  assert.equal(again.workerPids, 0);
});
