// Runs every test/**/*.test.ts with Node's own test runner (through tsx), in three groups:
//   unit      everything outside test/live/: pure or self-contained, on this machine;
//   live      test/live/* that start, kill and clean real processes: all of them inside ONE
//             private PID + network namespace (scripts/ns-init.py as its pid 1), one file at a
//             time (they judge the whole process table, so they must not overlap), so that no
//             test can ever end a process of the machine it runs on;
//   sandbox   test/live/* built on test/helpers/sandbox.ts: each scenario makes its own
//             namespace, so they run beside the live group, at the same time.
// Node 20's `--test` takes no glob patterns, so the files are listed here. Arguments: files to
// run instead of all (each still in its group). Without root or unshare the live group runs on
// this machine, with a warning (CI runs as root).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test');
const isLive = (f) => f.split('/').includes('live');
const isSandbox = (f) => isLive(f) && /from '\.\.\/helpers\/sandbox\.js'/.test(readFileSync(f, 'utf8'));
const groups = {
  unit: files.filter((f) => !isLive(f)),
  live: files.filter((f) => isLive(f) && !isSandbox(f)),
  sandbox: files.filter(isSandbox),
};

const canNamespace = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && existsSync('/usr/bin/python3');
if (groups.live.length > 0 && !canNamespace) {
  console.error('run-tests: not root (or no unshare): the live tests run on this machine, not in a private namespace');
}

// A test that hangs fails (--test-timeout, per test), and every group has a ceiling well under
// CI's limit, so a stuck handle can never stall CI silently.
const CEILING_MS = 25 * 60 * 1000;
// The sandbox files hold many scenarios each (the attribution matrix: dozens of namespaces, each
// with its own timeout that ends everything in it), so a whole file gets longer than one test does.
const testArgv = (list, concurrency, timeoutMs = 180000) => [process.execPath, '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...list];

function run(name, argv, { stream, env }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', stream ? 'inherit' : 'pipe', stream ? 'inherit' : 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      console.error(`run-tests: the ${name} group ran past ${CEILING_MS / 60000} minutes: killed`);
      child.kill('SIGKILL');
    }, CEILING_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      console.error(`run-tests: ${name}: ${e.message}`);
      resolve({ name, code: 1, out, ms: Date.now() - started });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, code: code ?? (signal ? 1 : 0), out, ms: Date.now() - started });
    });
  });
}

const results = [];
if (groups.unit.length > 0) results.push(await run('unit', testArgv(groups.unit, 1), { stream: true }));
const concurrent = [];
if (groups.live.length > 0) {
  const argv = testArgv(groups.live, 1);
  // --kill-child: if this runner dies, the namespace's init (and with it every test process) dies too.
  // --ipc, and ns-init.py's tmpfs over /dev/shm: what the killed runs leave in shared memory ends with the namespace.
  const wrapped = canNamespace ? ['/usr/bin/unshare', '--pid', '--fork', '--mount-proc', '--net', '--ipc', '--kill-child', '/usr/bin/python3', 'scripts/ns-init.py', ...argv] : argv;
  concurrent.push(run('live', wrapped, { stream: true, env: canNamespace ? { RD_HOST_MNT_NS: readlinkSync('/proc/self/ns/mnt'), RD_HOST_IPC_NS: readlinkSync('/proc/self/ns/ipc') } : {} }));
}
// The sandboxed scenarios' output waits until the live group has printed its own (two streams at
// once would interleave line by line); two scenarios at a time on this runner's cores.
if (groups.sandbox.length > 0) concurrent.push(run('sandbox', testArgv(groups.sandbox, 2, 480000), { stream: groups.live.length === 0, env: { RD_SANDBOX_JOBS: process.env.RD_SANDBOX_JOBS ?? '2' } }));
for (const r of await Promise.all(concurrent)) {
  results.push(r);
  if (r.out) process.stdout.write(r.out);
}
for (const r of results) console.error(`run-tests: ${r.name}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${(r.ms / 1000).toFixed(0)} s`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
