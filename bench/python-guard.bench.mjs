// npm run bench: what the Python parent-death guard (python/, docs/prevention.md) costs a process
// at start-up. `python3 -c CODE` N times in each setting, interleaved (so drift hits all alike),
// medians of the wall time, and `-X importtime`'s cumulative time for sitecustomize (what the
// guard adds, measured by the interpreter itself). Settings: plain; the sitecustomize on
// PYTHONPATH without the marker (the chain to the hidden sitecustomize only); the guard on in a
// main (signal handlers); the guard on in a child (a watcher thread, pidfd, PR_SET_PDEATHSIG
// through ctypes). CODE: `pass`, and `import multiprocessing.spawn` (what a spawn worker imports
// before it runs anything of the user's).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PY = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const N = Number(process.env.BENCH_GUARD_N ?? 40);
const DIR = `${root}python/sitecustomize`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stat = readFileSync('/proc/self/stat', 'utf8');
const selfStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];

// Bytecode is cached (python/**/__pycache__ is written on the first run, as in an installation
// the user can write to).
const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RERUN_DOCTOR_') && k !== 'PYTHONPATH' && k !== 'PYTHONDONTWRITEBYTECODE'));
const SETTINGS = {
  plain: { ...base },
  'PYTHONPATH, no marker': { ...base, PYTHONPATH: DIR },
  'guard on, main': { ...base, PYTHONPATH: DIR, RERUN_DOCTOR_GUARD: '1' },
  // A child of this process: the guard watches it (alive for the whole run).
  'guard on, child': { ...base, PYTHONPATH: DIR, RERUN_DOCTOR_GUARD: '1', RERUN_DOCTOR_GUARD_CHAIN: `${process.pid}:${selfStart}` },
};
const CODES = { pass: 'pass', 'import multiprocessing.spawn': 'import multiprocessing.spawn' };

function once(code, env, importtime) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(PY, [...(importtime ? ['-X', 'importtime'] : []), '-c', code], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${PY} -c ${code}: ${r.stderr}`);
  const line = importtime ? r.stderr.split('\n').find((l) => /\|\s*sitecustomize$/.test(l)) : null;
  return { ms, siteUs: line ? Number(line.split('|')[1].trim()) : 0 };
}

const rows = [];
for (const [codeName, code] of Object.entries(CODES)) {
  const wall = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, []]));
  const site = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, []]));
  for (const env of Object.values(SETTINGS)) once(code, env, false); // warm the page cache
  for (let i = 0; i < N; i++) {
    for (const [name, env] of Object.entries(SETTINGS)) {
      wall[name].push(once(code, env, false).ms);
      if (i % 4 === 0) site[name].push(once(code, env, true).siteUs);
    }
  }
  for (const name of Object.keys(SETTINGS)) rows.push({ code: codeName, setting: name, wallMs: median(wall[name]), vsPlainMs: median(wall[name]) - median(wall.plain), sitecustomizeUs: median(site[name]) });
}

console.log(`python guard start-up cost: ${PY} (${spawnSync(PY, ['--version'], { encoding: 'utf8' }).stdout.trim()}), ${N} runs per setting, medians`);
console.log('| python3 -c | setting | wall ms | vs plain ms | sitecustomize µs (-X importtime, cumulative) |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| \`${r.code}\` | ${r.setting} | ${r.wallMs.toFixed(2)} | ${r.vsPlainMs >= 0 ? '+' : ''}${r.vsPlainMs.toFixed(2)} | ${r.sitecustomizeUs} |`);
