// The pure parts of the shared-memory probe: maps lines by device and inode (on maps captured from
// a real server: test/fixtures/linux/shm/SOURCE.md), namespace links, segment names, st_dev.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { devString } from '../../src/host/shm-dir.js';
import { shmKindOf, torchCreatorPid } from '../../src/model/shm.js';
import { INIT_IPC_NS, INIT_PID_NS, mappedInodes, mapsDevField, nsInode } from '../../src/os/linux/proc-maps.js';
import { fixture } from '../helpers/paths.js';

const maps = (name: string) => readFileSync(fixture('linux', 'shm', name), 'utf8');

test('mapsDevField: decimal major:minor → the hex field maps prints', () => {
  assert.equal(mapsDevField('0:42'), ' 00:2a ');
  assert.equal(mapsDevField('0:27'), ' 00:1b ');
  assert.equal(mapsDevField('259:1'), ' 103:01 ');
  assert.equal(mapsDevField('0:300'), ' 00:12c ');
  assert.equal(mapsDevField('nonsense'), null);
});

test('mappedInodes: a real server main maps psm, torch and a semaphore under its deleted temporary name; by inode, never by path', () => {
  const main = mappedInodes(maps('maps-main.txt'), ['0:42']);
  // psm_187e77fc (2), the semaphore linked from "sem.3gCllb (deleted)" (4), the torch segment (5).
  assert.deepEqual([...main].sort(), ['0:42:2', '0:42:4', '0:42:5']);
  // psm_1c935c0e (3) was made and closed: mapped by nobody.
  assert.equal(main.has('0:42:3'), false);
  assert.deepEqual([...mappedInodes(maps('maps-worker.txt'), ['0:42'])], ['0:42:2']);
  // The machine's own /dev/shm (0:27) is another filesystem: nothing of it is mapped here.
  assert.equal(mappedInodes(maps('maps-main.txt'), ['0:27']).size, 0);
});

test('mappedInodes: the device must be the dev field, not text elsewhere on the line', () => {
  const text = [
    '7f00-7f01 rw-s 00000000 00:2a 7    /dev/shm/psm_a',
    '7f01-7f02 r--p 00000000 fe:00 99   /home/me/ 00:2a /x', // " 00:2a " inside a path
    '7f02-7f03 rw-s 00000000 00:2a 0',                       // inode 0: anonymous
    '7f03-7f04 rw-s 00000000 00:2a 8    /dev/shm/psm_b (deleted)',
  ].join('\n');
  assert.deepEqual([...mappedInodes(text, ['0:42'])].sort(), ['0:42:7', '0:42:8']);
  assert.equal(mappedInodes('', ['0:42']).size, 0);
});

test('nsInode and the first namespaces', () => {
  assert.equal(nsInode('pid:[4026531836]'), INIT_PID_NS);
  assert.equal(nsInode('ipc:[4026531839]'), INIT_IPC_NS);
  assert.equal(nsInode('pid_for_children:[4026532179]\n'), 4026532179);
  assert.equal(nsInode('socket:[12]x'), null);
});

test('segment kinds by name, and the torch creator pid', () => {
  assert.equal(shmKindOf('psm_187e77fc'), 'psm');
  assert.equal(shmKindOf('torch_3_1848541224_0'), 'torch');
  assert.equal(shmKindOf('sem.mp-ugp_sewn'), 'sem');
  assert.equal(shmKindOf('nccl-Xc9f2a'), 'nccl');
  for (const other of ['sem.other', 'joblib_memmapping_folder_1_x', 'psm_', 'torch_x_1', 'pym-12-abc', 'PostgreSQL.123']) assert.equal(shmKindOf(other), null, other);
  assert.equal(torchCreatorPid('torch_3_1848541224_0'), 3);
  assert.equal(torchCreatorPid('torch_0_1_2'), null);
  assert.equal(torchCreatorPid('psm_1'), null);
});

test('devString: st_dev in glibc encoding → major:minor', () => {
  assert.equal(devString(42), '0:42');
  assert.equal(devString((259 << 8) | 1), '259:1');
  // minor ≥ 256: its high bits sit above bit 20.
  assert.equal(devString((300 & 0xff) | ((300 & ~0xff) << 12)), '0:300');
});
