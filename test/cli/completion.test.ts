// The completion scripts, run in their shells: bash always (its function called with COMP_WORDS
// set), zsh and fish where they are installed (zsh through a pseudo-terminal, fish through
// `complete -C`). Each is also checked to name every command and flag of the tables.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadCompletionModel, type CompletionModel } from '../../src/cli/completion/model.js';
import { shellWord } from '../../src/cli/completion/words.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-completion-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// A file and a directory for the path completions.
writeFileSync(join(dir, 'rd-config.json'), '{}');
mkdirSync(join(dir, 'rd-state'));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {}, isTTY: false, cwd: dir, columns: 100 };
  return { code: await main(args, io), out, err };
}

const scripts: Record<string, string> = {};
let model: CompletionModel;
before(async () => {
  model = await loadCompletionModel();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await cli(['completion', shell]);
    assert.equal(r.code, 0, r.err);
    scripts[shell] = r.out;
  }
  writeFileSync(join(dir, 'rerun-doctor.bash'), scripts.bash!);
  mkdirSync(join(dir, 'zfunc'));
  writeFileSync(join(dir, 'zfunc', '_rerun-doctor'), scripts.zsh!);
  writeFileSync(join(dir, 'rerun-doctor.fish'), scripts.fish!);
});

const has = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

/** Command lines (a trailing space: a new word) and what each completes to, in every shell. */
const CASES: Array<[string, string[]]> = [
  ['rerun-doctor pr', ['procs']],
  ['rerun-doctor diagnose --format ', ['html', 'json', 'markdown', 'text']],
  ['rerun-doctor check --stop ', ['int', 'kill', 'term']],
  ['rerun-doctor rerun -n 2 --sto', ['--stop']],
  ['rerun-doctor metrics --format ', ['any', 'openmetrics', 'prometheus']],
  ['rerun-doctor demo --start-method ', ['forkserver', 'spawn']],
  ['rerun-doctor count ', ['after', 'before', 'history']],
  ['rerun-doctor watch --interval 1s ', ['metrics', 'procs']],
  ['rerun-doctor help co', ['completion', 'count']],
  ['rerun-doctor explain orphan-', ['orphan-server', 'orphan-workers']],
  ['rerun-doctor completion ', ['bash', 'fish', 'zsh']],
  // options first: diagnose
  ['rerun-doctor --qu', ['--quick']],
  ['rerun-doctor --port 8080 --fail-on ', ['error', 'info', 'warning']],
  ['rerun-doctor clean --dry', ['--dry-run']],
  // paths, compared by their last part (zsh is given the directory apart, fish adds a slash)
  [`rerun-doctor procs --config ${dir}/rd-c`, ['rd-config.json']],
  [`rerun-doctor count --state-dir ${dir}/rd-s`, ['rd-state']],
  [`rerun-doctor check --stop int -- ls ${dir}/rd-c`, ['rd-config.json']],
];

const lastPart = (w: string): string => (w.includes('/') ? w.replace(/\/$/, '').split('/').pop()! : w);

test('completion with no shell, or one it does not know: one usage line, exit 2', async () => {
  for (const [args, message] of [
    [['completion'], 'rerun-doctor: completion: expected a shell: expected one of bash, zsh, fish\n'],
    [['completion', 'tcsh'], 'rerun-doctor: completion: unknown shell "tcsh": expected one of bash, zsh, fish\n'],
    [['completion', 'constructor'], 'rerun-doctor: completion: unknown shell "constructor": expected one of bash, zsh, fish\n'],
    [['completion', 'bash', 'zsh'], 'rerun-doctor: completion: unexpected argument "zsh"\n'],
  ] as const) {
    const r = await cli([...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err, message);
    assert.equal(r.out, '');
  }
});

test('every script names every command, and every flag and choice of each', () => {
  for (const [shell, text] of Object.entries(scripts)) {
    for (const c of model.commands) {
      assert.ok(text.includes(c.name), `${shell}: ${c.name}`);
      for (const f of c.flags) {
        // fish writes --name as "-l name" and -x as "-s x"
        for (const n of f.names) assert.ok(text.includes(shell === 'fish' ? (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`) : n), `${shell}: ${c.name} ${n}`);
        for (const v of f.value?.choices ?? []) assert.ok(text.includes(v), `${shell}: ${c.name} ${f.names[0]} ${v}`);
      }
      for (const v of c.choices) assert.ok(text.includes(v), `${shell}: ${c.name} ${v}`);
    }
  }
});

test('a table word that would need quoting is refused, not written into a script', () => {
  for (const ok of ['procs', '--dry-run', '-n', 'orphan-server', 'any']) assert.equal(shellWord(ok), ok);
  for (const bad of ['two words', "it's", '$(rm)', '', '-', 'a;b']) assert.throws(() => shellWord(bad), /is not a plain word/, bad);
});

// ---- bash ----

/** COMPREPLY for each line, from one bash with the script loaded; the line split as bash splits it. */
function bashComplete(lines: string[]): string[][] {
  const harness = `source ${JSON.stringify(join(dir, 'rerun-doctor.bash'))}
complete -p rerun-doctor
while IFS= read -r line; do
  read -ra COMP_WORDS <<< "\${line//=/ = }"
  [[ $line == *' ' || $line == *= ]] && COMP_WORDS+=('')
  [[ $line == *= ]] && unset 'COMP_WORDS[-1]'
  COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
  _rerun_doctor
  printf '%s\\n' "\${COMPREPLY[*]}"
done`;
  const out = execFileSync('bash', ['--norc', '-c', harness], { input: lines.join('\n') + '\n', encoding: 'utf8' }).split('\n');
  assert.equal(out[0], 'complete -F _rerun_doctor rerun-doctor', 'the function is registered for rerun-doctor');
  return out.slice(1, lines.length + 1).map((l) => l.split(' ').filter((w) => w !== '').map(lastPart).sort());
}

test('bash: complete -p registers the function; the cases complete as expected', () => {
  const got = bashComplete(CASES.map(([line]) => line));
  CASES.forEach(([line, want], i) => assert.deepEqual(got[i], want, line));
  // --flag=value: bash splits the word at "="
  assert.deepEqual(bashComplete(['rerun-doctor diagnose --format=m', 'rerun-doctor diagnose --format=']), [['markdown'], ['html', 'json', 'markdown', 'text']]);
  // a flag's value is no positional: count's subcommand after --port 8080 still completes
  assert.deepEqual(bashComplete(['rerun-doctor count --port 8080 hi', 'rerun-doctor count before ']), [['history'], []]);
});

test("bash: each command's flags, and each flag's choices, as the tables have them", () => {
  const lines: string[] = [];
  const want: string[][] = [];
  for (const c of model.commands) {
    lines.push(`rerun-doctor ${c.name} -`);
    want.push(c.flags.flatMap((f) => f.names).sort());
    for (const f of c.flags) {
      if (f.value?.choices) {
        lines.push(`rerun-doctor ${c.name} ${f.names[0]} `);
        want.push([...f.value.choices].sort());
      }
    }
  }
  const got = bashComplete(lines);
  lines.forEach((line, i) => assert.deepEqual(got[i], want[i], line));
});

// ---- zsh ----

// An interactive zsh in a pseudo-terminal, compadd wrapped to print what it is given. Keys are
// typed only once zle shows its prompt (before that, the terminal's line discipline would take
// Ctrl-U for its own): the line and a Tab, then Ctrl-U and a command whose output marks the end.
const ZSH_HARNESS = `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='<ps1>'"
if [[ $1 == fpath ]]; then zpty -w z "fpath=($2 \\$fpath); autoload -U compinit && compinit -u -D"
else zpty -w z "autoload -U compinit && compinit -u -D && source $2"; fi
zpty -w z 'compadd () { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi; local -a hits; builtin compadd -A hits "$@"; local r=$?; print -l -- "<hit>"\${^hits}"</hit>"; return r }'
zpty -w z "print RE''ADY"
zpty -r z line '*READY*<ps1>*'
zpty -w -n z "$3"$'\\t'
zpty -w z $'\\C-uprint D''ONE'
out=
while zpty -r z line; do out+=$line; [[ $line == *DONE* ]] && break; done
zpty -d z
print -r -- "$out" | grep -o '<hit>[^<]*</hit>' | sed 's/<hit>//; s/<\\/hit>//'`;

function zshComplete(mode: 'fpath' | 'source', line: string): string[] {
  const target = mode === 'fpath' ? join(dir, 'zfunc') : join(dir, 'zfunc', '_rerun-doctor');
  const out = execFileSync('zsh', ['-f', '-c', ZSH_HARNESS, 'zsh', mode, target, line], { encoding: 'utf8', timeout: 30_000 });
  return [...new Set(out.split('\n').filter((w) => w !== '').map(lastPart))].sort();
}

test('zsh: the script parses; from $fpath and sourced after compinit, the cases complete as expected', { skip: has('zsh') ? false : 'zsh is not installed' }, () => {
  execFileSync('zsh', ['-n', join(dir, 'zfunc', '_rerun-doctor')]);
  for (const [line, want] of CASES) assert.deepEqual(zshComplete('fpath', line), want, line);
  assert.deepEqual(zshComplete('source', 'rerun-doctor check --st'), ['--state-dir', '--stop']);
  // after --, a command: command names on $PATH
  assert.ok(zshComplete('fpath', 'rerun-doctor run -- zs').includes('zsh'), 'run -- zs completes to zsh');
});

// ---- fish ----

function fishComplete(line: string): string[] {
  const out = execFileSync('fish', ['--no-config', '-c', `source ${join(dir, 'rerun-doctor.fish')}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => lastPart(l.split('\t')[0]!))
    .sort();
}

test('fish: the script parses; the cases complete as expected', { skip: has('fish') ? false : 'fish is not installed' }, () => {
  execFileSync('fish', ['--no-execute', join(dir, 'rerun-doctor.fish')]);
  for (const [line, want] of CASES) assert.deepEqual(fishComplete(line), want, line);
  // after --, the command's own completion; our flags are not offered there
  assert.ok(fishComplete('rerun-doctor run -- fis').includes('fish'), 'run -- fis completes to fish');
  assert.ok(!fishComplete('rerun-doctor check -- --lo').includes('--load'), 'check -- --lo is not --load');
});
