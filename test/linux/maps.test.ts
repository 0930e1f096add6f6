// /proc/PID/maps → the fork-unsafe libraries a server has mapped (lines in the kernel's format, as
// a python3 that imported grpc shows them), and the probe that reads them for fork servers only.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { createHost } from '../../src/host/host.js';
import { parseMapsLibraries } from '../../src/os/linux/proc-maps.js';
import { forkParents, readForkParentLibraries, readGrpcThreads } from '../../src/probes/libraries.js';
import { OPTS, proc, procTree, SERVER, snapshot, SPAWN } from '../helpers/builders.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const HEAP = '0bb80000-0be50000 rw-p 00000000 00:00 0                                  [heap]';
const CYGRPC = '7fdfe706c000-7fdfe748e000 r-xp 0006c000 fe:00 12231856                   /usr/lib/python3/dist-packages/grpc/_cython/cygrpc.cpython-311-x86_64-linux-gnu.so';
const TOKENIZERS = '7f1c2a000000-7f1c2a400000 r-xp 00000000 fe:00 3311                       /srv/venv/lib/python3.11/site-packages/tokenizers/tokenizers.abi3.so';
const LIBC = '7fdfe8a28000-7fdfe8b7d000 r-xp 00026000 fe:00 1053                       /usr/lib/x86_64-linux-gnu/libc.so.6';

test('maps: grpc\'s core and the tokenizers extension by their file names; nothing else is kept', () => {
  assert.deepEqual(parseMapsLibraries([HEAP, LIBC].join('\n')), []);
  assert.deepEqual(parseMapsLibraries([HEAP, CYGRPC, CYGRPC, LIBC].join('\n')), ['grpc']);
  assert.deepEqual(parseMapsLibraries([TOKENIZERS, CYGRPC].join('\n')), ['grpc', 'tokenizers']);
  assert.deepEqual(parseMapsLibraries('7f00-7f01 r-xp 0 fe:00 9 /opt/my dir/libgrpc.so.29 (deleted)\n'), ['grpc'], 'a path with a space, a deleted file');
  assert.deepEqual(parseMapsLibraries('7f00-7f01 r-xp 0 fe:00 9 /opt/tokenizers_helper.so\n'), [], 'a name that only starts alike');
});

test('probe: maps are read for servers that have fork workers, and only for them', () => {
  const fork = [proc(10, 1, SERVER, { pgid: 10 }), proc(11, 10, SERVER, { pgid: 10 }), proc(20, 1, [...SERVER, '--spawn'], { pgid: 20 }), proc(21, 20, SPAWN, { pgid: 20 })];
  const root = procTree(fork.map((p) => ({ pid: p.pid, ppid: p.ppid, argv: p.argv })));
  roots.push(root);
  writeFileSync(join(root, '10', 'maps'), [HEAP, CYGRPC, LIBC].join('\n') + '\n');
  writeFileSync(join(root, '20', 'maps'), [TOKENIZERS].join('\n') + '\n');
  const snap = snapshot(fork);
  const census = classify(snap, OPTS);
  assert.deepEqual(forkParents(census), [10]);
  readForkParentLibraries(createHost({ platform: 'linux', procRoot: root }), snap, census);
  const loaded = (pid: number) => [snap.processes.find((p) => p.pid === pid)!.loaded, census.processes.find((p) => p.pid === pid)!.loaded];
  assert.deepEqual(loaded(10), [['grpc'], ['grpc']], 'in the snapshot (the document) and in the census');
  assert.deepEqual(loaded(20), [undefined, undefined], 'a spawn server is not read');
  // A fork server whose maps cannot be read: null, not "nothing loaded".
  rmSync(join(root, '10', 'maps'));
  const again = snapshot(fork);
  readForkParentLibraries(createHost({ platform: 'linux', procRoot: root }), again, classify(again, OPTS));
  assert.equal(again.processes.find((p) => p.pid === 10)!.loaded, null);
});

test("probe: grpc's threads (by name) in a fork server where grpc is mapped; none when only imported; null when unreadable", () => {
  const fork = [proc(10, 1, SERVER, { pgid: 10 }), proc(11, 10, SERVER, { pgid: 10 })];
  const root = procTree(fork.map((p) => ({ pid: p.pid, ppid: p.ppid, argv: p.argv })));
  roots.push(root);
  writeFileSync(join(root, '10', 'maps'), CYGRPC + '\n');
  const task = (tid: number, comm: string) => {
    mkdirSync(join(root, '10', 'task', String(tid)), { recursive: true });
    writeFileSync(join(root, '10', 'task', String(tid), 'comm'), `${comm}\n`);
  };
  // The names a python3 shows after grpc.insecure_channel() (grpcio 1.51).
  for (const [tid, comm] of [[10, 'python3'], [12, 'event_engine'], [13, 'event_engine'], [14, 'timer_manager'], [15, 'grpc_global_tim'], [16, 'default-executo'], [17, 'resolver-execut']] as const) task(tid, comm);
  const snap = snapshot(fork);
  const census = classify(snap, OPTS);
  readForkParentLibraries(createHost({ platform: 'linux', procRoot: root }), snap, census);
  assert.deepEqual(snap.processes.find((p) => p.pid === 10)!.grpcThreads, { count: 6, names: ['default-executo', 'event_engine', 'grpc_global_tim', 'resolver-execut', 'timer_manager'] });
  assert.equal(readGrpcThreads(createHost({ platform: 'linux', procRoot: root }), 11), null, 'no task list: not readable, not "none"');
  rmSync(join(root, '10', 'task'), { recursive: true });
  task(10, 'python3');
  assert.deepEqual(readGrpcThreads(createHost({ platform: 'linux', procRoot: root }), 10), { count: 0, names: [] }, 'imported only: no grpc thread');
});
