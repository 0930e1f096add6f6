// The help of every command comes from its flag table: `help CMD` is `CMD --help`, every flag is
// listed, every example is a real invocation of the command, and the choices a table names are
// the ones the command accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseArgs } from 'node:util';
import type { CommandView } from '../../src/cli/command-spec.js';
import { COMMON_FLAGS } from '../../src/cli/context.js';
import { flagUsage } from '../../src/cli/flags.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { COMMAND_NAMES, COMMANDS, usage } from '../../src/cli/registry.js';

const cwd = mkdtempSync(join(tmpdir(), 'rd-help-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { PATH: process.env.PATH, NO_COLOR: '1' }, isTTY: false, cwd, columns: 100 };
  const code = await main(args, io);
  return { code, out, err };
}

const specs = async (): Promise<CommandView[]> => Promise.all(COMMAND_NAMES.map(async (n) => (await COMMANDS[n].load()).spec));

test('help CMD prints what CMD --help prints, for every command', async () => {
  for (const name of COMMAND_NAMES) {
    const viaHelp = await cli(['help', name]);
    const viaFlag = await cli([name, '--help']);
    assert.equal(viaHelp.code, 0, name);
    assert.equal(viaFlag.code, 0, name);
    assert.equal(viaHelp.out, viaFlag.out, name);
    assert.equal((await cli([name, '-h'])).out, viaFlag.out, `${name} -h`);
    assert.match(viaHelp.out, new RegExp(`^Usage: rerun-doctor ${name}`), name);
  }
});

test('help alone, --help and -h print the usage, which lists every command', async () => {
  const u = await cli(['help']);
  assert.equal(u.code, 0);
  assert.equal(u.out, usage());
  assert.equal((await cli(['--help'])).out, u.out);
  assert.equal((await cli(['-h'])).out, u.out);
  for (const name of COMMAND_NAMES) assert.match(u.out, new RegExp(`\\n  ${name} +\\S`), name);
  assert.match(u.out, /Run "rerun-doctor help <command>"/);
});

test('help with an unknown command, or two: one usage line, exit 2', async () => {
  const r = await cli(['help', 'nosuch']);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.equal(r.err, `rerun-doctor: help: unknown command "nosuch": expected one of ${COMMAND_NAMES.join(', ')}\n`);
  const two = await cli(['help', 'procs', 'ports']);
  assert.equal(two.code, 2);
  assert.equal(two.err, 'rerun-doctor: help: expected one command, got "procs ports"\n');
});

test('every help: Usage, the prose, Options with every flag, Examples, Exit status; lines fit 100 columns', async () => {
  for (const spec of await specs()) {
    const h = spec.help;
    const sections = ['Usage: ', '\nOptions:\n', ...(spec.common ? ['\nCommon options (every census command):\n'] : []), '\nExamples:\n', '\nExit status: '];
    let at = -1;
    for (const s of sections) {
      const i = h.indexOf(s);
      assert.ok(i > at, `${spec.name}: "${s.trim()}" in order`);
      at = i;
    }
    const options = h.slice(h.indexOf('\nOptions:\n'), h.indexOf('\nExamples:\n'));
    for (const [name, f] of Object.entries(spec.allFlags)) assert.ok(options.includes(`\n  ${flagUsage(name, f)}`), `${spec.name}: ${flagUsage(name, f)} listed`);
    for (const line of [...options.split('\n'), ...spec.about.split('\n'), ...spec.exit.split('\n')]) assert.ok(line.length <= 100, `${spec.name}: ${JSON.stringify(line)} fits`);
  }
});

test('no command declares a flag that shadows a common one, or --help', async () => {
  for (const spec of await specs()) {
    const taken = [...(spec.common ? Object.keys(COMMON_FLAGS) : []), 'help'];
    for (const name of Object.keys(spec.flags)) assert.ok(!taken.includes(name), `${spec.name}: --${name} is taken`);
  }
});

/** A shell line's words, quotes removed, with the operators that end a command as words of their own. */
function words(line: string): string[] {
  return (line.match(/'[^']*'|"[^"]*"|<\(|[|>)]|[^\s|>)]+/g) ?? []).map((w) => (/^['"]/.test(w) ? w.slice(1, -1) : w));
}

test('every example is a real invocation: its command, flags it takes, values among the choices', async () => {
  for (const spec of await specs()) {
    assert.ok(spec.examples.length >= 2 && spec.examples.length <= 4, `${spec.name}: 2-4 examples`);
    for (const { run, does } of spec.examples) {
      assert.ok(does.length > 0, `${spec.name}: ${run} says what it does`);
      const w = words(run);
      const at = w.indexOf('rerun-doctor');
      assert.ok(at >= 0, `${spec.name}: ${run} runs rerun-doctor`);
      let args = w.slice(at + 1);
      const end = args.findIndex((x) => ['|', '>', ')'].includes(x));
      if (end >= 0) args = args.slice(0, end);
      // diagnose also runs with no command, or options only (main.ts).
      if (args[0] === spec.name) args = args.slice(1);
      else assert.ok(spec.name === 'diagnose' && (args.length === 0 || args[0]!.startsWith('-')), `${run} is an example of ${spec.name}`);
      const { values, positionals } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: true });
      for (const [name, v] of Object.entries(values)) {
        const f = spec.allFlags[name]!;
        if (f.type === 'string' && f.choices) for (const x of [v].flat()) assert.ok(f.choices.includes(String(x)), `${run}: --${name} ${String(x)} is one of ${f.choices.join('|')}`);
      }
      const choices = spec.positionals?.choices;
      if (choices && positionals.length > 0) assert.ok(choices.includes(positionals[0]!), `${run}: "${positionals[0]}" is one of ${choices.join(', ')}`);
      if (spec.positionals?.command) assert.ok(args.includes('--') && positionals.length > 0, `${run}: a command after --`);
    }
  }
});

test('a value outside a flag\'s choices is refused, and the message names every choice', async () => {
  for (const spec of await specs()) {
    for (const [name, f] of Object.entries(spec.allFlags)) {
      if (f.type !== 'string' || !f.choices) continue;
      const args = [spec.name, ...(spec.positionals?.choices ? [spec.positionals.choices[0]!] : []), `--${name}`, 'nonsense', ...(spec.name === 'rerun' ? ['-n', '2'] : []), ...(spec.positionals?.command ? ['--', '/nonexistent/rerun-doctor-test'] : [])];
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, new RegExp(`--${name} "nonsense"`), r.err);
      for (const c of f.choices) assert.match(r.err, new RegExp(`\\b${c}\\b`), `${args.join(' ')}: ${r.err} names ${c}`);
    }
  }
});

// The flags each command took before the tables (src/cli/commands/*.ts, 2026-12), as util.parseArgs
// saw them (! a switch, * repeatable; -h, -y and -n the short forms): a table must keep every one.
// Left out: those a command took and never read (diagnose --all, --grpc-port and --no-grpc, spread
// in with metrics' options; rerun --fail-on, with check's), which are gone rather than documented.
const BEFORE: Record<string, string> = {
  common: 'json! config proc-root sys-root port* server-pattern worker-pattern* instances state-dir project help!',
  diagnose: 'common quick! samples interval no-metrics! fail-on metrics-url timeout max-bytes format',
  ports: 'common wide! grpc-port no-grpc! timeout',
  procs: 'common all! wide!',
  count: 'common',
  metrics: 'common all! timeout max-bytes format grpc-port no-grpc!',
  watch: 'common interval count duration record timeout max-bytes format',
  run: 'grace help!',
  guard: 'allow* clean! grace settle help!',
  clean: 'common dry-run! yes! grace all-users! include-detached! all-projects! pid*',
  evidence: 'common out force! quick! no-metrics! metrics-url',
  check: 'common load hold stop grace ready-timeout settle no-metrics! metrics-url fail-on',
  rerun: 'common load hold stop grace ready-timeout settle no-metrics! metrics-url n record',
  demo: 'python workers start-method help!',
};

test('every flag a command took before is still taken, the same way', async () => {
  const expand = (text: string): string[] => text.split(' ').flatMap((w) => (w === 'common' ? expand(BEFORE.common!) : [w]));
  for (const spec of await specs()) {
    if (BEFORE[spec.name] === undefined) continue;
    const options: Record<string, { type: string; multiple?: boolean; short?: string }> = spec.options;
    for (const w of expand(BEFORE[spec.name]!)) {
      const [, name, mark] = /^([a-z-]+)([!*])?$/.exec(w)!;
      const o = options[name!];
      assert.ok(o, `${spec.name} --${name}`);
      assert.equal(o.type, mark === '!' ? 'boolean' : 'string', `${spec.name} --${name}: type`);
      assert.equal(o.multiple === true, mark === '*', `${spec.name} --${name}: multiple`);
      const expectedShort = name === 'help' ? 'h' : name === 'yes' ? 'y' : name === 'n' ? 'n' : undefined;
      assert.equal(o.short, expectedShort, `${spec.name} --${name}: short`);
    }
  }
});
