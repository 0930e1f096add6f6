// The package as users install it. `npm pack` runs on a copy of the repository's files, which
// has no dist/ (the prepack script must build it: a stale dist cannot hide a missing build step);
// the tarball is installed into a temporary prefix as a user installs it; and the installed CLI
// and library run from another directory, so nothing of the checkout can stand in for them.
// Everything lives under one temp dir: the demo's processes run with their cwd in it (the
// installed demo/server), which is how a leftover is known to be ours if the demo failed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { alive } from '../helpers/live.js';
import { fixture, ROOT } from '../helpers/paths.js';
import { requireProgram } from '../helpers/requirements.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  pid: number | undefined;
}

function exec(file: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    // npm's update check would ask the registry about npm itself: noise, not the package.
    const env = { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' };
    const child = execFile(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
      resolve({ code, stdout, stderr, pid: child.pid });
    });
  });
}

/** What went wrong, in the few lines that say it (npm's own error lines when there are any). */
function why(r: Ran): string {
  const lines = `${r.stderr}\n${r.stdout}`.split('\n');
  const npm = lines.filter((l) => l.startsWith('npm error'));
  return (npm.length > 0 ? npm : lines.filter(Boolean).slice(-8)).slice(0, 8).join('\n');
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

const base = mkdtempSync(join(tmpdir(), 'rd-package-'));
const checkout = join(base, 'checkout');
const prefix = join(base, 'prefix');
const elsewhere = join(base, 'elsewhere');
const installed = join(prefix, 'node_modules', 'rerun-doctor');
const bin = join(prefix, 'node_modules', '.bin', 'rerun-doctor');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

before(
  async () => {
    await requireProgram('git', 'git');
    await requireProgram('npm', 'npm');
    for (const d of [checkout, prefix, elsewhere, join(base, 'out')]) mkdirSync(d, { recursive: true });
    // The files a clone has (and new ones not yet committed), never what is ignored (dist/).
    const ls = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
    assert.equal(ls.code, 0, `git ls-files in ${ROOT}: ${why(ls)}`);
    for (const f of ls.stdout.split('\0')) {
      if (f === '' || f.split('/')[0] === 'node_modules' || !existsSync(join(ROOT, f)) || !lstatSync(join(ROOT, f)).isFile()) continue;
      mkdirSync(dirname(join(checkout, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(checkout, f));
    }
    // The dev dependencies prepack builds with, as `npm ci` leaves them in a clone.
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const pack = await exec('npm', ['pack', '--pack-destination', join(base, 'out')], checkout);
    assert.equal(pack.code, 0, `npm pack: ${why(pack)}`);
    const tarballs = readdirSync(join(base, 'out')).filter((f) => f.endsWith('.tgz'));
    assert.deepEqual(tarballs, [`rerun-doctor-${version}.tgz`], 'npm pack made one tarball');
    // --prefer-offline, not --offline: `npm ci` caches the tarballs its lockfile names but not the
    // registry's metadata, and installing a tarball resolves its dependencies' version ranges,
    // which needs that metadata. With --prefer-offline npm takes whatever is cached (the tarballs)
    // and asks the registry only for the rest, so this needs the registry reachable, as CI has it.
    const install = await exec('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(base, 'out', tarballs[0]!)], elsewhere);
    assert.equal(install.code, 0, `npm install of the packed tarball: ${why(install)}`);
    // Issue 12: a user's install runs and warns of no install script (no runtime dependency has one).
    assert.doesNotMatch(install.stdout + install.stderr, /install.scripts?/i, `npm install of the packed tarball: ${why(install)}`);
  },
  { timeout: 300_000 },
);

after(() => rmSync(base, { recursive: true, force: true }));

test('the tarball ships the built CLI and library, the demo server, the Python guard, docs, deploy (alert rules, dashboard, units), README and LICENSE, and nothing else', () => {
  const files = walk(installed);
  assert.deepEqual([...new Set(files.map((f) => f.split('/')[0]!))].sort(), ['LICENSE', 'README.md', 'demo', 'deploy', 'dist', 'docs', 'package.json', 'python']);
  // Built by prepack from this checkout: every module, the CLI's entry, the library's types.
  const missing = walk(join(ROOT, 'src'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `dist/${f.replace(/\.ts$/, '.js')}`)
    // The CLI's entry is its bundle, dist/cli/bin.cjs (checked below): tsc's bin.js is removed.
    .filter((f) => f !== 'dist/cli/bin.js')
    .filter((f) => !files.includes(f));
  assert.deepEqual(missing, [], 'every module of src/ is built into dist/');
  // The README's screenshots stay in the repository (npm shows them from there): 370 KB nobody runs.
  assert.deepEqual(files.filter((f) => f.endsWith('.png')), [], 'no screenshot ships');
  for (const f of ['dist/cli/bin.cjs', 'dist/index.d.ts', 'demo/server/src/main.py', 'demo/server/src/__init__.py', 'python/sitecustomize/sitecustomize.py', 'python/rerun_doctor_guard/__init__.py', 'docs/rules/orphan-workers.md', 'docs/fixes/README.md', 'deploy/prometheus/alerts.yml', 'deploy/grafana/rerun-doctor.json']) assert.ok(files.includes(f), `ships ${f}`);
  // The native proc reader, built by prepack (RERUN_DOCTOR_NATIVE_REQUIRED=1), ships built: no install script.
  if (process.platform === 'linux') assert.ok(files.includes(`dist/native/proc-scan-linux-${process.arch}.node`), 'ships the native proc reader');
  assert.deepEqual(files.filter((f) => f.endsWith('.c')), [], 'not its source');
  const unwanted = files.filter((f) => /\.map$|__pycache__|\.pyc$|\.test\.|(^|\/)test\//.test(f));
  assert.deepEqual(unwanted, [], 'no source maps, bytecode or tests');
  assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} rerun-doctor contributors\n/);
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { repository: { url: string }; homepage: string; bugs: { url: string } };
  assert.equal(pkg.repository.url, 'git+https://github.com/rerun-doctor/rerun-doctor.git');
  assert.equal(pkg.homepage, 'https://github.com/rerun-doctor/rerun-doctor#readme');
  assert.equal(pkg.bugs.url, 'https://github.com/rerun-doctor/rerun-doctor/issues');
});

test('the installed rerun-doctor --version prints the package version', async () => {
  const r = await exec(bin, ['--version'], elsewhere);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, `${version}\n`);
});

test('the installed rerun-doctor reads /proc with the native reader it ships (RERUN_DOCTOR_NATIVE=require)', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const r = await exec('/usr/bin/env', ['RERUN_DOCTOR_NATIVE=require', bin, 'procs', '--json'], elsewhere);
  assert.ok(r.code === 0 || r.code === 1, why(r));
  assert.equal(r.stderr, '');
  assert.ok(Array.isArray((JSON.parse(r.stdout) as { processes: unknown[] }).processes), 'procs --json lists the processes');
});

test('the installed rerun-doctor --help lists the commands and points a newcomer to the demo', async () => {
  const r = await exec(bin, ['--help'], elsewhere);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^rerun-doctor: why did my inference server's rerun get slow\?\n\nUsage: rerun-doctor <command> \[options\]\n/);
  for (const c of ['diagnose', 'clean', 'procs', 'ports', 'demo']) assert.match(r.stdout, new RegExp(`^  ${c} +\\S`, 'm'), `lists ${c}`);
  assert.match(r.stdout, /New here\? Run "rerun-doctor demo"/);
});

test('the installed python-guard --env names the installed guard, and a Python started with its lines runs it', async () => {
  const r = await exec(bin, ['python-guard', '--env'], elsewhere);
  assert.equal(r.code, 0, why(r));
  const dir = join(installed, 'python', 'sitecustomize');
  assert.ok(r.stdout.split('\n').includes(`export PYTHONPATH=${dir}${'${PYTHONPATH:+:$PYTHONPATH}'}`), `the installed directory, PYTHONPATH kept:\n${r.stdout}`);
  await requireProgram('python3', 'python3');
  const py = await exec('/bin/bash', ['-c', `eval "$("$0" python-guard --env)" && PYTHONDONTWRITEBYTECODE=1 python3 -c 'import rerun_doctor_guard as g; print(g.state["role"], g.__file__)'`, bin], elsewhere);
  assert.equal(py.code, 0, why(py));
  assert.equal(py.stdout, `main ${join(installed, 'python', 'rerun_doctor_guard', '__init__.py')}\n`);
});

test("the library example (the README's) runs against the installed package and finds its own process", async () => {
  // In the prefix, as in a user's project that installed rerun-doctor; run from elsewhere.
  const example = join(prefix, 'library-example.mjs');
  copyFileSync(fixture('package', 'library-example.mjs'), example);
  const r = await exec(process.execPath, [example], elsewhere);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^\\d+ processes; this one is ${r.pid} \\(${basename(process.execPath).slice(0, 15)}\\)$`));
  // The diagnosis of this machine (no sample server runs here) and clean's plan for it.
  assert.match(lines[1]!, /^(healthy: |no problem found|\d+ problems?: )/, 'the verdict');
  assert.match(lines[lines.length - 1]!, /^clean would end \d+ process(es)?$/, "clean's plan");
});

test("README's library section quotes the example verbatim", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const code = readFileSync(fixture('package', 'library-example.mjs'), 'utf8');
  assert.ok(readme.includes('```js\n' + code + '```\n'), 'README.md holds test/fixtures/package/library-example.mjs in a ```js block, unchanged');
});

test('the installed rerun-doctor demo finds its sample server, diagnoses the SIGKILLed run, shows the plan, and leaves nothing running', async () => {
  await requireProgram('python3', 'python3');
  const r = await exec(bin, ['demo'], elsewhere, 120_000);
  const m = /main (\d+), workers (\d+), (\d+), resource tracker (\d+)/.exec(r.stdout);
  const pids = m ? m.slice(1).map(Number) : [];
  try {
    assert.equal(r.code, 0, why(r));
    assert.ok(m, `the demo names its processes:\n${r.stdout}`);
    assert.match(r.stdout, /\[4\/6\][^\n]*\nVerdict: 1 problem: 2 orphaned workers and 1 helper from run 1, still holding :\d+\n/);
    assert.match(r.stdout, new RegExp(`\\[5/6\\][^\\n]*\\nPlan: end 3 processes\\nrun 1 \\(orphaned, ${installed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/demo/server\\): left behind`));
    assert.match(r.stdout, /Done: 3 processes ended, nothing left behind\./);
    assert.deepEqual(pids.filter(alive), [], 'nothing the demo started is alive');
  } finally {
    // Had the demo failed: what runs with its cwd in this test's temp dir is provably ours.
    for (const p of pids) {
      try {
        if (readlinkSync(`/proc/${p}/cwd`).startsWith(`${base}/`)) process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

test('every dependency with an install script is decided in allowScripts, so `npm ci` in a clone warns of none', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.replace(/^.*node_modules\//, ''));
  assert.ok(withScripts.includes('esbuild'), `the lockfile still names esbuild's script: ${withScripts.join(', ')}`);
  for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], 'boolean', `${name} has an install script: allowScripts decides it`);
  // None of them is a runtime dependency: a user's install has no script to run.
  for (const [path, p] of Object.entries(lock.packages)) if (p.hasInstallScript) assert.equal(p.dev, true, `${path} has an install script and is not a dev dependency`);
});
