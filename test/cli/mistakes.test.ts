// User mistakes, walked from the command and flag tables: every flag of every command gets the bad
// values of its kind (negative, zero where it is refused, garbage, out of range, empty, a value
// outside its choices, no value at all), and every command an unknown option and an argument
// where it takes none. Each must be one line on stderr that names the flag (or the word) and what
// was expected; exit 2 (a shell's 127/126 for a command `run` or `guard` cannot start); no stack
// trace; nothing on stdout; nothing started and nothing written.
//
// The CLI runs from dist/ as a child process, in a directory of its own (its cwd, HOME, TMPDIR,
// XDG_STATE_HOME and --state-dir all point into it), with no config file above it. The command
// given to run, guard, check and rerun (and demo's --python) is a script that creates the file
// $RD_SENTINEL: if a mistake let anything start, the file is there, and the test fails; if
// anything was written (a state directory, check's log file, a --record file), so is that.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import type { CommandView } from '../../src/cli/command-spec.js';
import type { FlagSpec } from '../../src/cli/flags.js';
import { COMMAND_NAMES, COMMANDS } from '../../src/cli/registry.js';
import { CLI } from '../helpers/live.js';

const base = mkdtempSync(join(tmpdir(), 'rd-mistakes-'));
after(() => rmSync(base, { recursive: true, force: true }));
// An empty config at the top: the search for one stops here, whatever lies above the temp dir.
writeFileSync(join(base, 'rerun-doctor.json'), '{}\n');
const bin = join(base, 'bin');
mkdirSync(bin);
/** What run, guard, check, rerun and demo are given to start: it leaves a mark if it ever runs. */
const SENTINEL = join(bin, 'server');
writeFileSync(SENTINEL, '#!/bin/sh\n: > "$RD_SENTINEL"\n');
chmodSync(SENTINEL, 0o755);
const NOT_EXECUTABLE = join(bin, 'not-executable');
writeFileSync(NOT_EXECUTABLE, '#!/bin/sh\n: > "$RD_SENTINEL"\n');
chmodSync(NOT_EXECUTABLE, 0o644);
/** A directory that is not a proc filesystem (no stat). */
const NOT_PROC = join(base, 'not-proc');
mkdirSync(NOT_PROC);

interface Case {
  name: string;
  args: string[];
  /** What the one line must contain: the flag or word at fault. */
  names: string;
  /** More the line must say. */
  says?: RegExp;
  code?: number;
  /** Files to put in the case's directory first (a config file). */
  files?: Record<string, string>;
}

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  left: string[];
}

let serial = 0;
function runCase(c: Pick<Case, 'args' | 'files'>): Promise<Result> {
  const dir = join(base, `c${serial++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), text);
  const before = new Set(readdirSync(dir));
  const args = c.args.map((a) => a.replaceAll('@DIR', dir));
  const env = { PATH: process.env.PATH, NO_COLOR: '1', HOME: dir, TMPDIR: dir, XDG_STATE_HOME: join(dir, 'xdg'), XDG_CONFIG_HOME: join(dir, 'xdg'), RD_SENTINEL: join(dir, 'started') };
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, env, timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      const left = readdirSync(dir).filter((f) => !before.has(f));
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr, ms: Date.now() - t0, left });
    });
  });
}

function assertMistake(c: Case, r: Result): void {
  const shown = `rerun-doctor ${c.args.join(' ')}\n  exit ${r.code}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms\n  stderr: ${r.stderr}\n  stdout: ${r.stdout.slice(0, 500)}`;
  assert.equal(r.signal, null, `not stopped by the test's timeout: ${shown}`);
  assert.equal(r.code, c.code ?? 2, shown);
  assert.equal(r.stdout, '', `nothing on stdout: ${shown}`);
  const lines = r.stderr.split('\n');
  assert.ok(lines.length === 2 && lines[1] === '' && lines[0] !== '', `one line on stderr: ${shown}`);
  assert.match(r.stderr, /^rerun-doctor[ :]/, shown);
  assert.doesNotMatch(r.stderr, /internal error|\bat .*:\d+:\d+|ERR_PARSE_ARGS|TypeError|Warning/, `no stack trace or internal wording: ${shown}`);
  assert.ok(r.stderr.includes(c.names), `names ${c.names}: ${shown}`);
  if (c.says) assert.match(r.stderr, c.says, shown);
  assert.deepEqual(r.left, [], `nothing started or written (no ${r.left.join(', ')}): ${shown}`);
}

// ---- the cases, from the tables ----

const specs: CommandView[] = await Promise.all(COMMAND_NAMES.map(async (n) => (await COMMANDS[n].load()).spec));

const flagName = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** Durations for which zero is refused (the others take 0: no grace, no wait). */
const ZERO_REFUSED = new Set(['interval', 'timeout', 'duration']);

/** A flag given last, with no value after it. */
const MISSING: unique symbol = Symbol('no value');
type Bad = string | typeof MISSING;

/**
 * Bad values of a flag, by its kind (its `value` name) and, where it has one, its own range: the
 * kind's own (negative, garbage, out of range, zero where refused, not a URL, no such file…), then
 * the two every value flag can get wrong (empty, none at all).
 */
function badValues(name: string, f: FlagSpec & { type: 'string' }): Bad[] {
  const own = ((): string[] => {
    if (f.choices) return ['bogus'];
    switch (f.value) {
      case 'D':
        return ['-1s', 'soon', '99999h', ...(ZERO_REFUSED.has(name) ? ['0'] : [])];
      case 'N': {
        const range: Record<string, string[]> = { samples: ['0', '101'], workers: ['0', '17'], 'max-bytes': ['12'], count: ['0'], pid: ['0', '99999999999999999999'], instances: ['99999999999999999999'] };
        return ['-1', 'x', ...(range[name] ?? ['1.5'])];
      }
      case 'K':
        return ['-1', '1', '51', 'x'];
      case 'P':
        return ['70000', '-1', 'x'];
      case 'RE':
      case 'PATTERN':
        return ['(('];
      case 'URL':
        return ['ftp://127.0.0.1/metrics', 'file:///etc/passwd', 'garbage'];
      case 'PATH':
        return ['/nonexistent/python', 'no-such-python-rd', bin];
      case 'DIR':
        return name === 'proc-root' ? ['/nonexistent/proc', NOT_PROC, SENTINEL] : name === 'sys-root' ? ['/nonexistent/sys', SENTINEL] : [];
      case 'FILE':
        return name === 'config' ? ['/nonexistent/rerun-doctor.json', bin] : name === 'from' ? ['/nonexistent/evidence.json', bin] : name === 'save' ? [bin] : [];
      default:
        return [];
    }
  })();
  return [...own, '', MISSING];
}

/** Where a flag is first met, its own bad values (those of its kind); the empty and the missing value are the parser's, for every flag alike, and come in turn with the rest elsewhere. */
function firstValues(bad: Bad[]): Bad[] {
  const own = bad.slice(0, -2);
  return own.length > 0 ? own : bad;
}

/** What a command needs besides the flag under test, so that the flag is the only mistake. */
function context(spec: CommandView, flag: string | null): { pre: string[]; post: string[] } {
  const pre: string[] = [];
  const unless = (f: string, ...args: string[]) => {
    if (flag !== f) pre.push(...args);
  };
  if (spec.name === 'watch') {
    pre.push('procs');
    unless('count', '--count', '1');
  }
  if (spec.name === 'count') pre.push('before');
  if (spec.name === 'metrics') pre.push('http://127.0.0.1:9/metrics');
  if (spec.name === 'rerun') unless('n', '-n', '3');
  if (spec.name === 'clean') unless('dry-run', '--dry-run');
  if (spec.name === 'demo') unless('python', '--python', SENTINEL);
  // No metrics window, should a mistake be missed (and none with --from, which collects nothing).
  if (['diagnose', 'explain', 'evidence'].includes(spec.name) && flag !== 'from') unless('no-metrics', '--no-metrics');
  if (spec.allFlags['state-dir'] && flag !== 'state-dir') pre.push('--state-dir', '@DIR/state');
  return { pre, post: spec.positionals?.command ? ['--', SENTINEL] : [] };
}

function valueCase(spec: CommandView, name: string, v: Bad): Case {
  const { pre, post } = context(spec, name);
  const flag = flagName(name);
  if (v === MISSING) return { name: `${spec.name} ${flag} (no value, at the end)`, args: [spec.name, ...pre, flag], names: flag, says: /needs a value: expected/ };
  // The flag, and the value as given: `--interval "-1s": expected a positive duration…`.
  return { name: `${spec.name} ${flag} ${JSON.stringify(v)}`, args: [spec.name, ...pre, flag, v, ...post], names: `${flag} "${v.replaceAll('@DIR', '')}"` };
}

const cases: Case[] = [];
// Every bad value of a flag once, on the first command that takes it; on every other command that
// takes it, one of them, in turn: every flag of every command gets a bad value, and every bad
// value of a kind is tried on some command.
const firstSeen = new Set<string>();
let turn = 0;
specs.forEach((spec, ci) => {
  const cmd = spec.name;
  for (const [name, f] of Object.entries(spec.allFlags)) {
    if (f.type !== 'string') continue;
    const bad = badValues(name, f);
    const key = `${name}:${f.value}:${f.choices?.join('|') ?? ''}`;
    const values: Bad[] = firstSeen.has(key) ? [bad[turn++ % bad.length]!] : firstValues(bad);
    for (const v of values) cases.push(valueCase(spec, name, v));
    firstSeen.add(key);
  }
  // A switch given a value, an unknown option: once per command (the switches in turn).
  const { pre, post } = context(spec, null);
  const switches = Object.keys(spec.allFlags).filter((n) => n !== 'help' && spec.allFlags[n]!.type === 'boolean');
  if (switches.length > 0) {
    const name = switches[ci % switches.length]!;
    const c = context(spec, name);
    cases.push({ name: `${cmd} --${name}=yes`, args: [cmd, ...c.pre, `--${name}=yes`, ...c.post], names: `--${name}`, says: /takes no value/ });
  }
  cases.push({ name: `${cmd} --frobnicate`, args: [cmd, ...pre, '--frobnicate', ...post], names: '"--frobnicate"', says: /unknown option/ });
  // An argument where none is taken; the command to run without its --; a word not among the choices.
  if (spec.positionals === undefined) cases.push({ name: `${cmd} extra`, args: [cmd, ...pre, 'extra'], names: '"extra"', says: /unexpected argument/ });
  else if (spec.positionals.command) {
    cases.push({ name: `${cmd} without -- before the command`, args: [cmd, ...pre, 'python3', '-m', 'src.main'], names: `rerun-doctor ${cmd} `, says: /goes after --, e\.g\. rerun-doctor \S+ .*-- python3 -m src\.main$/m });
    cases.push({ name: `${cmd} -- (no command)`, args: [cmd, ...pre, '--'], names: 'after --' });
  } else if (spec.positionals.choices) {
    cases.push({ name: `${cmd} with an unknown word`, args: [cmd, 'bogus-word'], names: '"bogus-word"' });
    cases.push({ name: `${cmd} with a word too many`, args: [cmd, cmd === 'watch' ? 'procs' : spec.positionals.choices[0]!, 'extra'], names: 'extra' });
  } else cases.push({ name: `${cmd} with a bad word`, args: [cmd, ...pre, 'extra', 'extra2'], names: 'extra' });
});

// The ones the issue names, and what the tables cannot say.
const start = (cmd: string, file: string, code: number, says: RegExp): Case => ({ name: `${cmd} -- ${file}`, args: [cmd, ...(cmd === 'rerun' ? ['-n', '2'] : []), '--', file], names: `rerun-doctor ${cmd}: cannot start "${file}"`, says, code });
// run and guard exit as a shell would (127 not found, 126 not executable); check and rerun 2.
cases.push(
  start('run', '/nonexistent/server', 127, /no such file$/m),
  start('run', 'no-such-command-rd', 127, /command not found/),
  start('run', bin, 126, /is a directory/),
  start('run', NOT_EXECUTABLE, 126, /not executable/),
  start('guard', '/nonexistent/server', 127, /no such file$/m),
  start('guard', NOT_EXECUTABLE, 126, /not executable/),
  start('check', '/nonexistent/server', 2, /no such file$/m),
  start('check', 'no-such-command-rd', 2, /command not found/),
  start('rerun', bin, 2, /is a directory/),
);
cases.push(
  { name: '--interval=-1s', args: ['watch', 'procs', '--count', '1', '--interval=-1s'], names: '--interval "-1s"', says: /expected a positive duration like 2s/ },
  { name: 'watch --count -1', args: ['watch', 'procs', '--count', '-1'], names: '--count "-1"', says: /expected an integer ≥ 1/ },
  { name: 'procs --instances -2', args: ['procs', '--instances', '-2'], names: '--instances "-2"', says: /expected an integer ≥ 0/ },
  { name: 'run --grace -1s', args: ['run', '--grace', '-1s', '--', SENTINEL], names: '--grace "-1s"', says: /expected a duration ≥ 0 like 2s/ },
  { name: 'rerun -n-3', args: ['rerun', '-n-3', '--', SENTINEL], names: '-n "-3"' },
  { name: 'check python3 -m x', args: ['check', 'python3', '-m', 'x'], names: 'rerun-doctor check -- python3 -m x', says: /the command to run goes after --/ },
  { name: 'diagnose --metrics-url ftp', args: ['diagnose', '--metrics-url', 'ftp://127.0.0.1/metrics'], names: '--metrics-url "ftp://127.0.0.1/metrics"', says: /expected an http:\/\/ or https:\/\/ URL/ },
  { name: 'metrics ftp URL', args: ['metrics', 'ftp://127.0.0.1/metrics'], names: '"ftp://127.0.0.1/metrics"', says: /expected an http:\/\/ or https:\/\/ URL/ },
  { name: 'watch metrics ftp URL', args: ['watch', 'metrics', 'ftp://127.0.0.1/metrics', '--count', '1'], names: '"ftp://127.0.0.1/metrics"', says: /expected an http:\/\/ or https:\/\/ URL/ },
  { name: 'metrics-url in rerun-doctor.json', args: ['diagnose', '--no-metrics'], files: { 'rerun-doctor.json': '{ "metrics-url": "ftp://127.0.0.1/metrics" }\n' }, names: 'rerun-doctor.json: "metrics-url"', says: /must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'metrics-url in pyproject.toml', args: ['metrics'], files: { 'pyproject.toml': '[tool.rerun-doctor]\nmetrics-url = "file:///etc/passwd"\n' }, names: 'pyproject.toml: [tool.rerun-doctor] "metrics-url"', says: /must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'procs --proc-root /nonexistent', args: ['procs', '--proc-root', '/nonexistent'], names: '--proc-root "/nonexistent": no such directory' },
  { name: 'procs --proc-root (not a proc fs)', args: ['procs', '--proc-root', NOT_PROC], names: `--proc-root "${NOT_PROC}": not a proc filesystem` },
  { name: '--version extra', args: ['--version', 'extra'], names: '"extra"', says: /unexpected argument/ },
  { name: '-v extra', args: ['-v', 'extra'], names: '"extra"', says: /unexpected argument/ },
  { name: 'clean --yes --dry-run', args: ['clean', '--yes', '--dry-run'], names: '--yes and --dry-run', says: /conflict/ },
  { name: 'clean -y --dry-run', args: ['clean', '--dry-run', '-y'], names: '--yes and --dry-run', says: /conflict/ },
  { name: 'diagnose -v', args: ['diagnose', '-v'], names: '"-v"', says: /rerun-doctor --version/ },
  { name: 'rerun without -n', args: ['rerun', '--', SENTINEL], names: '-n K is required: the number of runs, 2-50' },
  { name: 'unknown command', args: ['frobnicate'], names: '"frobnicate"', says: /unknown command/ },
  { name: 'a misspelt flag', args: ['procs', '--portt', '8080'], names: '"--portt"', says: /did you mean --port\?/ },
  { name: '-y=x', args: ['clean', '--dry-run', '-y=x'], names: '-y takes no value' },
  { name: 'a value taken by the next option', args: ['watch', 'procs', '--interval', '--json'], names: '--interval', says: /needs a value: expected a duration like 2s or 500ms, got the option --json/ },
  { name: 'a value that is an option', args: ['check', '--load', '--frob', '--', SENTINEL], names: '--load needs a value', says: /got the option --frob/ },
  { name: 'an argument after -- where none is taken', args: ['procs', '--', 'extra'], names: '"extra"', says: /unexpected argument/ },
  { name: 'explain ID with a bad flag value', args: ['explain', 'orphan-workers', '--metrics-url', 'ftp://127.0.0.1/metrics'], names: '--metrics-url "ftp://127.0.0.1/metrics"' },
  { name: 'explain ID with a bad common flag', args: ['explain', 'orphan-workers', '--port', '70000'], names: '--port "70000"' },
  { name: 'an unknown short option', args: ['rerun', '-q', '-n', '2', '--', SENTINEL], names: '"-q"', says: /unknown option/ },
  { name: 'demo --python missing', args: ['demo', '--python', '/nonexistent/python3'], names: '--python "/nonexistent/python3": no such file' },
  { name: '--config missing', args: ['procs', '--config', '/nonexistent/rerun-doctor.json'], names: '--config "/nonexistent/rerun-doctor.json": no such file' },
);

test('the table walk covers every command, every flag', () => {
  for (const spec of specs) {
    for (const name of Object.keys(spec.allFlags)) {
      if (name === 'help') continue;
      const f = spec.allFlags[name]!;
      const covered = cases.some((c) => c.args[0] === spec.name && c.args.some((a) => a === flagName(name) || a.startsWith(`--${name}=`)));
      assert.ok(covered || f.type === 'boolean', `${spec.name} ${flagName(name)} has a case`);
    }
  }
  assert.ok(cases.length >= 200 && cases.length <= 400, `${cases.length} cases: enough, and few enough to run in well under a minute`);
});

// Four at a time: each is a node start (~0.1-0.4 s); the machine is shared.
describe('a user mistake is one line naming the input, exit 2, nothing started or written', { concurrency: 4 }, () => {
  for (const c of cases) it(c.name, async () => assertMistake(c, await runCase(c)));
});

// ---- what a mistake is not ----

test('the harness sees what is started: a good run of the sentinel leaves its mark', async () => {
  const r = await runCase({ args: ['run', '--', SENTINEL] });
  assert.equal(r.code, 0, r.stderr);
  // A run that did its job also writes its code cache under HOME (src/cli/code-cache.ts): a
  // mistake never does, so its listing stays empty.
  assert.deepEqual(r.left, ['.cache', 'started'], 'the command ran, so a mistake case that started it would fail');
});

test('-v, -V and --version print the version; --help CMD is help CMD', async () => {
  for (const flag of ['-v', '-V', '--version']) {
    const r = await runCase({ args: [flag] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/, flag);
  }
  const viaFlag = await runCase({ args: ['--help', 'clean'] });
  const viaHelp = await runCase({ args: ['help', 'clean'] });
  assert.equal(viaFlag.code, 0);
  assert.equal(viaFlag.stdout, viaHelp.stdout);
  assert.match(viaFlag.stdout, /^Usage: rerun-doctor clean/);
});

test('a value that starts with a dash is the flag\'s value, where it is one', async () => {
  // --server-pattern takes any regular expression, one that starts with '-' too.
  const r = await runCase({ args: ['procs', '--json', '--server-pattern', '-m src\\.main', '--state-dir', '@DIR/state'] });
  assert.equal(r.code === 0 || r.code === 1, true, r.stderr);
  assert.equal(JSON.parse(r.stdout).watch.serverPattern, '-m src\\.main');
});
