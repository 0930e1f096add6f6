// Runs a test file again inside a private PID + network namespace (`unshare --pid --fork
// --mount-proc --net`, as root), so that whatever it signals can only be a process it started: the
// namespace sees nothing of this machine, and everything in it dies with its pid 1. A shell is pid
// 1 there: it brings the namespace's loopback up and reaps orphans (dash's `wait` reaps any child).
// `--kill-child`: if unshare dies (the timeout below SIGKILLs it), its child, the namespace's pid 1,
// is SIGKILLed too, and with it every process in the namespace (pid_namespaces(7)). A file uses it as
//
//   if (!insidePrivateNamespace()) test('… (in a private PID + network namespace)', { skip: privateNamespaceSkipReason() }, () => runInPrivateNamespace(import.meta.url));
//   else { …the real tests… }
//
// test/helpers/sandbox.ts is the other way in: bash scenarios with a terminal and a replaceable pid
// 1, for the CLI as a user drives it; this one runs a whole node:test file (library calls) inside.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROOT } from './paths.js';

const MARK = 'RERUN_DOCTOR_TEST_IN_PRIVATE_NS';

/** Why the namespace cannot be made here (not root, no unshare), or undefined when it can. */
export function privateNamespaceSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'a private PID namespace needs Linux';
  if (process.getuid?.() !== 0) return 'a private PID + network namespace needs root (unshare); CI runs as root';
  if (!existsSync('/usr/bin/unshare')) return 'util-linux unshare is not installed';
  return undefined;
}

export function insidePrivateNamespace(): boolean {
  return process.env[MARK] === '1';
}

/** Runs the test file at `fileUrl` under node:test inside the namespace; fails with its output unless every test passed. */
export function runInPrivateNamespace(fileUrl: string, timeoutMs = 110_000): void {
  const file = fileURLToPath(fileUrl);
  // Without NODE_TEST_CONTEXT the inner runner is a runner of its own, not a child reporting to us.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  // --ipc and a tmpfs of its own over /dev/shm (in the namespace's own mount namespace, never the
  // machine's): the shared memory of the runs the tests kill goes with the namespace.
  const script = '[ "$(readlink /proc/self/ns/mnt)" != "$RD_HOST_MNT_NS" ] && mount -t tmpfs -o size=512m,mode=1777 rd-test-shm /dev/shm || exit 96; ip link set lo up || exit 97; "$@" & wait $!';
  const r = spawnSync('/usr/bin/unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', '--net', '--ipc', '/bin/sh', '-c', script, 'sh', process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', file], {
    cwd: ROOT,
    env: { ...env, [MARK]: '1', RD_HOST_MNT_NS: readlinkSync('/proc/self/ns/mnt') },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  assert.equal(r.error, undefined, `unshare could not run (root and util-linux needed): ${r.error?.message}`);
  assert.notEqual(r.status, 96, `a private /dev/shm could not be mounted in the namespace:\n${out}`);
  assert.notEqual(r.status, 97, `the namespace's loopback could not be brought up (iproute2's ip needed):\n${out}`);
  assert.equal(r.status, 0, `tests inside the namespace failed:\n${out}`);
  assert.match(r.stdout, /^# fail 0$/m, out);
  assert.doesNotMatch(r.stdout, /^# pass 0$/m, `no test ran inside the namespace:\n${out}`);
}
