// The V8 code cache of the command bundles (src/cli/code-cache.ts, issue 12): written on a first
// run, used on the next, never used stale, never read from a file another user could write, off
// with RERUN_DOCTOR_CODE_CACHE=0; and the real CLI gives the same output with and without it.
// Each case runs in a child process: the cache is written as a process exits. Built files
// (dist/), as the CLI tests use them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'rd-code-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const LOADER = join(ROOT, 'dist/cli/code-cache.js');

/** Loads `file` through loadBundle in a fresh Node; what it exported and what the loader did. */
function load(file: string, env: NodeJS.ProcessEnv): { value: unknown; cache: string } {
  const code = `const { loadBundle, loads } = await import(${JSON.stringify(LOADER)}); const m = loadBundle(${JSON.stringify(file)}); console.log(JSON.stringify({ value: m.value, cache: loads[0].cache }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as { value: unknown; cache: string };
}

const cacheFiles = (xdg: string) => {
  const dir = join(xdg, 'rerun-doctor', 'code-cache');
  return existsSync(dir) ? readdirSync(dir) : [];
};

test('a first load writes the cache (0600 in a 0700 directory), the next uses it, and a changed bundle never meets the old one', () => {
  const xdg = join(tmp, 'xdg1');
  const file = join(tmp, 'one.cjs');
  writeFileSync(file, `function f(x) { return x * 2; }\nmodule.exports = { value: f(21), dir: __dirname };\n`);
  const first = load(file, { XDG_CACHE_HOME: xdg });
  assert.deepEqual(first, { value: 42, cache: 'compiled' });
  const files = cacheFiles(xdg);
  assert.equal(files.length, 1, files.join(' '));
  assert.match(files[0]!, new RegExp(`^one\\.cjs-[0-9a-f]{8}-${process.version.replace(/\./g, '\\.')}-${process.arch}-\\d+-\\d+-\\d+\\.bin$`));
  const dir = join(xdg, 'rerun-doctor', 'code-cache');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
  assert.deepEqual(load(file, { XDG_CACHE_HOME: xdg }), { value: 42, cache: 'used' });
  // The same length, other code, another mtime: a new key, compiled from the source, never the old cache.
  writeFileSync(file, `function f(x) { return x * 3; }\nmodule.exports = { value: f(21), dir: __dirname };\n`);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.deepEqual(load(file, { XDG_CACHE_HOME: xdg }), { value: 63, cache: 'compiled' });
  // Its cache replaced the old build's: one file for one bundle of one installation.
  assert.equal(cacheFiles(xdg).length, 1, cacheFiles(xdg).join(' '));
  assert.equal(load(file, { XDG_CACHE_HOME: xdg }).cache, 'used');
  // The same bundle at another path is another installation: both caches stay.
  const other = join(tmp, 'elsewhere');
  mkdirSync(other);
  const copy = join(other, 'one.cjs');
  writeFileSync(copy, `module.exports = { value: 'copy' };\n`);
  assert.equal(load(copy, { XDG_CACHE_HOME: xdg }).cache, 'compiled');
  assert.equal(cacheFiles(xdg).length, 2, cacheFiles(xdg).join(' '));
  assert.equal(load(file, { XDG_CACHE_HOME: xdg }).cache, 'used');
});

test('a cache file or directory another user could write is never read', () => {
  const xdg = join(tmp, 'xdg2');
  const file = join(tmp, 'two.cjs');
  writeFileSync(file, `module.exports = { value: 'two' };\n`);
  assert.equal(load(file, { XDG_CACHE_HOME: xdg }).cache, 'compiled');
  const dir = join(xdg, 'rerun-doctor', 'code-cache');
  const cached = join(dir, cacheFiles(xdg)[0]!);
  chmodSync(cached, 0o666);
  assert.deepEqual(load(file, { XDG_CACHE_HOME: xdg }), { value: 'two', cache: 'compiled' }, 'a world-writable file is not used (and is replaced)');
  assert.equal(statSync(cached).mode & 0o777, 0o600, 'the rewritten file is ours again');
  chmodSync(dir, 0o777);
  assert.deepEqual(load(file, { XDG_CACHE_HOME: xdg }), { value: 'two', cache: 'compiled' }, 'nor is one in a world-writable directory');
  chmodSync(dir, 0o700);
  assert.equal(load(file, { XDG_CACHE_HOME: xdg }).cache, 'used');
});

test('a run that ends in an error (exit 2) writes no cache: a mistake leaves nothing behind', () => {
  const xdg = join(tmp, 'xdg6');
  const file = join(tmp, 'six.cjs');
  writeFileSync(file, `module.exports = { value: 6 };\n`);
  const code = `const { loadBundle } = await import(${JSON.stringify(LOADER)}); loadBundle(${JSON.stringify(file)}); process.exitCode = 2;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, XDG_CACHE_HOME: xdg }, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(existsSync(xdg), false, 'no cache directory made');
  const bad = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.cjs'), 'procs', '--port', 'x'], { env: { ...process.env, XDG_CACHE_HOME: xdg }, encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.equal(existsSync(xdg), false, 'a usage error of the CLI writes no cache');
});

test('RERUN_DOCTOR_CODE_CACHE=0, or no usable directory, loads with require and writes nothing', () => {
  const xdg = join(tmp, 'xdg3');
  const file = join(tmp, 'three.cjs');
  writeFileSync(file, `module.exports = { value: 3 };\n`);
  assert.deepEqual(load(file, { XDG_CACHE_HOME: xdg, RERUN_DOCTOR_CODE_CACHE: '0' }), { value: 3, cache: 'off' });
  assert.equal(existsSync(xdg), false);
  // A file where the directory should be: the load still works, nothing cached.
  const blocked = join(tmp, 'xdg4');
  mkdirSync(blocked);
  writeFileSync(join(blocked, 'rerun-doctor'), '');
  assert.deepEqual(load(file, { XDG_CACHE_HOME: blocked }), { value: 3, cache: 'compiled' });
  assert.deepEqual(cacheFiles(blocked), []);
});

test('the CLI gives the same output cached and not, and caches the command it ran', () => {
  const xdg = join(tmp, 'xdg5');
  const proc = join(tmp, 'proc');
  mkdirSync(join(proc, '1'), { recursive: true });
  writeFileSync(join(proc, 'stat'), 'btime 1700000000\n');
  writeFileSync(join(proc, '1', 'stat'), '1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n');
  writeFileSync(join(proc, '1', 'cmdline'), '/sbin/init\0');
  const cli = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.cjs'), 'procs', '--json', '--all', '--proc-root', proc], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  const plain = cli({ RERUN_DOCTOR_CODE_CACHE: '0' });
  const first = cli({ XDG_CACHE_HOME: xdg });
  const second = cli({ XDG_CACHE_HOME: xdg });
  for (const r of [plain, first, second]) assert.equal(r.status, 0, r.stderr);
  const strip = (s: string) => s.replace(/"takenAt": "[^"]+"/, '');
  assert.equal(strip(first.stdout), strip(plain.stdout));
  assert.equal(strip(second.stdout), strip(plain.stdout));
  assert.ok(cacheFiles(xdg).some((f) => f.startsWith('procs.cjs-')), cacheFiles(xdg).join(' '));
  // Output fitted to a width loads string-width (an ES module) with import(): from code the cache
  // ran, too (through bin.cjs's importer; Node 20 loses a vm.Script's import() on cached code).
  const wide = join(tmp, 'xdg7');
  const fitted = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.cjs'), 'procs', '--all', '--proc-root', proc], { env: { ...process.env, NO_COLOR: '1', COLUMNS: '40', XDG_CACHE_HOME: wide, ...env }, encoding: 'utf8' });
  const runs = [fitted({ RERUN_DOCTOR_CODE_CACHE: '0' }), fitted({}), fitted({})];
  for (const r of runs) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning, no error');
    assert.equal(r.stdout, runs[0]!.stdout);
  }
  assert.ok(cacheFiles(wide).some((f) => f.startsWith('procs.cjs-')), 'the cache was there for the third run');
});
