// The built CLI finds the native proc reader from where its bundles lie (bin.cjs in dist/cli/, each
// command in dist/cli/commands/), says in the evidence which reader read /proc, and with
// RERUN_DOCTOR_NATIVE=require refuses to run without it instead of falling back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.cjs');
const cache = mkdtempSync(join(tmpdir(), 'rd-native-cli-'));
after(() => rmSync(cache, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}, bin = BIN) {
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, NO_COLOR: '1', ...env };
  delete e.RERUN_DOCTOR_NATIVE;
  Object.assign(e, env);
  const r = spawnSync(process.execPath, [bin, ...args], { env: e, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function processesSource(env: Record<string, string>): string {
  // evidence is not prestarted by bin.cjs: its own bundle (dist/cli/commands/) finds the reader.
  const r = cli(['evidence', '--json', '--no-metrics'], env);
  assert.ok(r.code === 0 || r.code === 1, `evidence --json exited ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { evidence?: { snapshot: { probes: { probe: string; source: string }[] } }; snapshot?: { probes: { probe: string; source: string }[] } };
  const probes = (doc.evidence?.snapshot ?? doc.snapshot)!.probes;
  return probes.find((p) => p.probe === 'processes.linux')!.source;
}

test('the evidence says who read /proc: the native reader, or not when it is turned off', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  assert.match(processesSource({}), /^\/proc\/\[pid\]\/\{stat,cmdline\} \(native reader\)$/);
  assert.doesNotMatch(processesSource({ RERUN_DOCTOR_NATIVE: '0' }), /native/);
  assert.equal(processesSource({ RERUN_DOCTOR_NATIVE: '0', RERUN_DOCTOR_THREADS: '1' }), '/proc/[pid]/{stat,cmdline}');
});

test('RERUN_DOCTOR_NATIVE=require: the prestarting bin.cjs finds the reader (procs, ports run), and a CLI without it stops with one line', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  for (const args of [['procs', '--json'], ['ports', '--json', '--no-grpc']]) {
    const r = cli(args, { RERUN_DOCTOR_NATIVE: 'require' });
    assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    JSON.parse(r.stdout);
  }
  // A copy of the CLI's entry with no dist/native beside it.
  const lone = mkdtempSync(join(tmpdir(), 'rd-native-lone-'));
  try {
    mkdirSync(join(lone, 'cli'));
    copyFileSync(BIN, join(lone, 'cli', 'bin.cjs'));
    const r = cli(['--version'], { RERUN_DOCTOR_NATIVE: 'require' }, join(lone, 'cli', 'bin.cjs'));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^rerun-doctor: RERUN_DOCTOR_NATIVE=require, but the native proc reader cannot be used: proc-scan-linux-[a-z0-9]+\.node not built \(npm run build\)\n$/);
  } finally {
    rmSync(lone, { recursive: true, force: true });
  }
});

test('bin.cjs starts the native reader on its first line under the --proc-root given (either spelling, the last one winning), and the census adopts that pass instead of starting its own', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-native-root-'));
  try {
    const root = join(dir, 'proc');
    mkdirSync(join(root, '1'), { recursive: true });
    // Read and written, not copied: a proc file says it is empty, so copyFileSync copies nothing.
    writeFileSync(join(root, 'stat'), readFileSync('/proc/stat'));
    writeFileSync(join(root, '1', 'stat'), readFileSync('/proc/1/stat'));
    writeFileSync(join(root, '1', 'cmdline'), 'init\0');
    // Notes every start() of the native reader: its prefix, and whether a command's bundle was loaded yet.
    const hook = join(dir, 'hook.cjs');
    writeFileSync(
      hook,
      `const fs = require('fs'); const starts = []; let bundle = false;
const read = fs.readFileSync; fs.readFileSync = function (p, ...r) { if (typeof p === 'string' && /commands[\\/\\\\][a-z-]+\\.cjs$/.test(p)) bundle = true; return read.call(this, p, ...r); };
const dlopen = process.dlopen;
process.dlopen = function (m, f, ...r) { const x = dlopen.call(this, m, f, ...r); if (/proc-scan-[a-z]+-[a-z0-9]+\\.node$/.test(f)) { const s = m.exports.start; m.exports.start = function (prefix, ...a) { starts.push((bundle ? 'after ' : 'before ') + prefix); return s.call(this, prefix, ...a); }; } return x; };
process.on('exit', () => process.stderr.write('starts ' + JSON.stringify(starts) + '\\n'));`,
    );
    const run = (args: string[]) => {
      const e: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, NO_COLOR: '1' };
      delete e.RERUN_DOCTOR_NATIVE;
      const r = spawnSync(process.execPath, ['-r', hook, BIN, ...args], { env: e, encoding: 'utf8' });
      const m = /starts (\[.*\])\n/.exec(r.stderr);
      assert.ok(m, `no start list: ${r.stderr}`);
      return { code: r.status, starts: JSON.parse(m[1]!) as string[], stdout: r.stdout, stderr: r.stderr.replace(m[0], '') };
    };
    for (const args of [['procs', '--json', '--all', '--proc-root', root], ['procs', '--all', '--json', `--proc-root=${root}/`], ['procs', '--json', '--all', '--proc-root', '/nowhere', `--proc-root=${root}`], ['ports', '--json', '--no-grpc', '--proc-root', root]]) {
      const r = run(args);
      assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      // One pass, started before any command's bundle loaded: the census took it over.
      assert.deepEqual(r.starts, [`before ${root}/`], args.join(' '));
      if (args[0] === 'procs') assert.ok((JSON.parse(r.stdout) as { processes: { pid: number }[] }).processes.some((p) => p.pid === 1), 'pid 1 of the tree is listed');
    }
    // A root the command refuses: the pass started on it is dropped; the error is the usual one line.
    const bad = run(['procs', '--json', '--proc-root', join(dir, 'nothing')]);
    assert.equal(bad.code, 2);
    assert.deepEqual(bad.starts, [`before ${join(dir, 'nothing')}/`]);
    assert.match(bad.stderr, /^rerun-doctor: --proc-root ".*nothing": /);
    // Without --proc-root: /proc.
    assert.deepEqual(run(['procs', '--json']).starts, ['before /proc/']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
