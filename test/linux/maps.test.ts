// /proc/PID/maps → the fork-unsafe libraries a server has mapped (lines in the kernel's format, as
// a python3 that imported grpc shows them), and the probe that reads them for fork servers only.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { createHost } from '../../src/host/host.js';
import { parseMapsLibraries } from '../../src/os/linux/proc-maps.js';
import { forkParents, readForkParentLibraries } from '../../src/probes/libraries.js';
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
