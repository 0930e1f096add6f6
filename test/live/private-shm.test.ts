// The live group's namespace (scripts/run-tests.mjs + scripts/ns-init.py) has an IPC namespace and a
// /dev/shm of its own: the semaphores and segments of the runs these tests SIGKILL (nothing can
// unlink them) end with the namespace instead of piling up in the machine's /dev/shm.
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';

const inNamespace = process.env.RD_HOST_MNT_NS !== undefined;

test('the live tests see a tmpfs of their own over /dev/shm, in mount and IPC namespaces that are not the machine\'s', { skip: inNamespace ? false : 'not run by scripts/run-tests.mjs as root (no private namespace)' }, () => {
  assert.notEqual(readlinkSync('/proc/self/ns/mnt'), process.env.RD_HOST_MNT_NS, 'a mount namespace of its own');
  assert.notEqual(readlinkSync('/proc/self/ns/ipc'), process.env.RD_HOST_IPC_NS, 'an IPC namespace of its own');
  // mountinfo: "… mount-point … - fstype source options"; the last /dev/shm mount is the one in use.
  const shm = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === '/dev/shm').at(-1);
  assert.match(shm ?? '', / - tmpfs rd-test-shm /, `/dev/shm is ns-init.py's tmpfs: ${shm}`);
});
