// The CLI as built (scripts/bundle.mjs, issue 12): bin.js and one self-contained file per command,
// so a command loads two modules of ours, not ~200. Checked on dist/ as `npm run build` leaves it
// (the CLI tests run the same files).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

const CLI = join(ROOT, 'dist/cli/bin.js');
const registry = readFileSync(join(ROOT, 'src/cli/registry.ts'), 'utf8');
const COMMANDS = [...registry.matchAll(/import\('\.\/commands\/([a-z-]+)\.js'\)/g)].map((m) => m[1]!);

/** The specifiers of a file's static and dynamic imports that point at files (not packages, not node:). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)["'](\.{1,2}\/[^"']+)["']/gm)) out.push(m[1]!);
  return out;
}

test('the registry names every command, and each has its bundle', () => {
  assert.ok(COMMANDS.length >= 15, `commands found in registry.ts: ${COMMANDS.join(', ')}`);
  for (const name of COMMANDS) assert.ok(existsSync(join(ROOT, 'dist/cli/commands', `${name}.js`)), `dist/cli/commands/${name}.js`);
});

test('bin.js imports no file of ours but the command bundles', () => {
  const imports = relativeImports(CLI);
  assert.deepEqual([...imports].sort(), COMMANDS.map((n) => `./commands/${n}.js`).sort());
});

test('each command bundle is self-contained: it imports only other commands (help, completion) by their bundle', () => {
  for (const name of COMMANDS) {
    const imports = relativeImports(join(ROOT, 'dist/cli/commands', `${name}.js`));
    for (const spec of imports) assert.match(spec, /^\.\/[a-z-]+\.js$/, `${name}.js imports ${spec}`);
    for (const spec of imports) assert.ok(COMMANDS.includes(spec.slice(2, -3)), `${name}.js imports ${spec}, which is no command`);
  }
});

test('the watchdog lies beside the commands that start it', () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/commands/watchdog.js')), 'dist/cli/commands/watchdog.js');
  assert.deepEqual(relativeImports(join(ROOT, 'dist/cli/commands/watchdog.js')), []);
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
    const text = readFileSync(join(ROOT, 'dist/cli/commands', `${name}.js`), 'utf8');
    const packages = [...text.matchAll(/^import\s[^;]*?from\s*"([^".][^"]*)"/gm)].map((m) => m[1]!).filter((p) => !p.startsWith('node:'));
    // The exporter is prom-client's; nothing else may load a package before its first /proc read.
    const allowed = name === 'exporter' ? ['prom-client'] : [];
    assert.deepEqual(packages.filter((p) => !allowed.includes(p)), [], `${name}.js imports at start: ${packages.join(', ')}`);
  }
});
