// The CLI as built (scripts/bundle.mjs, issue 12): bin.cjs and one self-contained CommonJS file per
// command, so a command loads two modules of ours, not ~200, and never starts Node's ESM loader. Checked on dist/ as `npm run build` leaves it
// (the CLI tests run the same files).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

const CLI = join(ROOT, 'dist/cli/bin.cjs');
const registry = readFileSync(join(ROOT, 'src/cli/registry.ts'), 'utf8');
const COMMANDS = [...registry.matchAll(/import\('\.\/commands\/([a-z-]+)\.js'\)/g)].map((m) => m[1]!);

/** The specifiers of a file's imports and requires that point at files (not packages, not node:). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  // The command loaders name their bundle as join(__dirname, "./NAME.cjs") (scripts/bundle.mjs).
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bjoin\(__dirname,\s*|^\s*import\s*)["'](\.{1,2}\/[^"']+)["']/gm)) out.push(m[1]!);
  return out;
}

/** The packages a CommonJS bundle requires as it loads: esbuild hoists those to `var x = require("…")` at column 0. */
function requiredAtLoad(text: string): string[] {
  return [...text.matchAll(/^var [\w$]+ = (?:__toESM\()?require\("([^"]+)"\)/gm)].map((m) => m[1]!);
}

test('the registry names every command, and each has its bundle', () => {
  assert.ok(COMMANDS.length >= 15, `commands found in registry.ts: ${COMMANDS.join(', ')}`);
  for (const name of COMMANDS) assert.ok(existsSync(join(ROOT, 'dist/cli/commands', `${name}.cjs`)), `dist/cli/commands/${name}.cjs`);
  // One entry point: tsc's ES-module bin.js is removed by the bundler.
  assert.equal(existsSync(join(ROOT, 'dist/cli/bin.js')), false, 'dist/cli/bin.js is gone');
});

test('bin.cjs requires no file of ours but the command bundles, and no package at all', () => {
  const imports = relativeImports(CLI);
  assert.deepEqual([...imports].sort(), COMMANDS.map((n) => `./commands/${n}.cjs`).sort());
  const text = readFileSync(CLI, 'utf8');
  assert.deepEqual(requiredAtLoad(text).filter((p) => !p.startsWith('node:')), []);
  assert.match(text, /^#!\/usr\/bin\/env node\n/, 'the shebang comes first');
  // CommonJS all the way: no ES module syntax for Node's ESM loader to take up.
  assert.doesNotMatch(text, /^(import|export)\s/m);
});

test('each command bundle is self-contained: it imports only other commands (help, completion) by their bundle', () => {
  for (const name of COMMANDS) {
    const imports = relativeImports(join(ROOT, 'dist/cli/commands', `${name}.cjs`));
    for (const spec of imports) assert.match(spec, /^\.\/[a-z-]+\.cjs$/, `${name}.cjs requires ${spec}`);
    for (const spec of imports) assert.ok(COMMANDS.includes(spec.slice(2, -4)), `${name}.cjs requires ${spec}, which is no command`);
  }
});

test('the watchdog lies beside the commands that start it', () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/commands/watchdog.cjs')), 'dist/cli/commands/watchdog.cjs');
  assert.deepEqual(relativeImports(join(ROOT, 'dist/cli/commands/watchdog.cjs')), []);
});

// A bundled command has its own copies of the error classes: its user errors must still be told
// apart from internal ones (one line, exit 2, no stack).
const tmp = mkdtempSync(join(tmpdir(), 'rd-bundle-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
    });
  });
}

test('a bundled command reports a config error, a usage error and a state error as one line, exit 2', async () => {
  const dir = join(tmp, 'badconfig');
  mkdirSync(dir);
  writeFileSync(join(dir, 'rerun-doctor.json'), '{"ports": [1,]}');
  const config = await run(['procs'], dir);
  assert.equal(config.code, 2, config.stderr);
  assert.match(config.stderr, /^rerun-doctor: rerun-doctor\.json: invalid JSON at line 1 column \d+/);
  assert.equal(config.stderr.trim().split('\n').length, 1, config.stderr);
  const usage = await run(['ports', '--port', 'x'], tmp);
  assert.equal(usage.code, 2, usage.stderr);
  assert.doesNotMatch(usage.stderr, /internal error|\n\s+at /);
  const file = join(tmp, 'not-a-dir');
  writeFileSync(file, '');
  const state = await run(['count', 'history', '--state-dir', join(file, 'sub')], tmp);
  assert.equal(state.code, 2, state.stderr);
  assert.doesNotMatch(state.stderr, /internal error|\n\s+at /);
});

test('the version comes from package.json, read from the bundle', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = await run(['--version'], tmp);
  assert.equal(r.stdout.trim(), pkg.version);
  const inside = await run(['explain', 'orphan-workers'], tmp);
  assert.equal(inside.code, 0, inside.stderr);
  assert.match(inside.stdout, /^# orphan-workers/);
});

test('a command imports no npm package at start: each is loaded where it is used (string-width only when output has a width)', () => {
  for (const name of COMMANDS) {
    const text = readFileSync(join(ROOT, 'dist/cli/commands', `${name}.cjs`), 'utf8');
    assert.doesNotMatch(text, /^(import|export)\s/m, `${name}.cjs is CommonJS`);
    // Code run from the V8 code cache has no import() of its own (src/cli/code-cache.ts): a
    // package that is an ES module comes through bin.cjs's importer, never a literal import().
    assert.doesNotMatch(text, /\bimport\(\s*["']/, `${name}.cjs calls import() itself`);
    const packages = requiredAtLoad(text).filter((p) => !p.startsWith('node:') && !p.startsWith('.'));
    // The exporter is prom-client's; nothing else may load a package before its first /proc read.
    const allowed = name === 'exporter' ? ['prom-client'] : [];
    // The reader sees a bundle's requires at load: the exporter's prom-client is one.
    if (name === 'exporter') assert.ok(packages.includes('prom-client'), `the exporter's requires are seen: ${packages.join(', ')}`);
    assert.deepEqual(packages.filter((p) => !allowed.includes(p)), [], `${name}.cjs requires at load: ${packages.join(', ')}`);
  }
});
