// clean: ends what a dead run left, nothing else; identity re-checked before every signal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { executeCleanup } from '../../src/actions/execute-cleanup.js';
import { createHost, type Host } from '../../src/host/host.js';
import { alive, cleanup, freePort, orphanedRun, PYTHON, runCli, startServer, waitFor, waitListening } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
after(() => cleanup(tracked, groups));

const leaky = (args: string[] = []) => orphanedRun(tracked, groups, args);

/** A bystander: a spawn_main-like command line whose Python parent is alive and not ours. */
async function bystander(): Promise<{ parent: number; child: number }> {
  const code = "import subprocess,sys,time\np=subprocess.Popen([sys.executable,'-c','from multiprocessing.spawn import spawn_main; import time; time.sleep(120)','--multiprocessing-fork'])\nprint(p.pid, flush=True)\ntime.sleep(120)";
  const parent = spawn(PYTHON, ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  tracked.add(parent.pid!);
  groups.push(parent.pid!);
  const child = await new Promise<number>((r) => parent.stdout!.once('data', (d: Buffer) => r(Number(String(d).trim()))));
  tracked.add(child);
  return { parent: parent.pid!, child };
}

test('clean --yes: the dead run goes, the bystander and the running server stay; ports freed', async () => {
  const { s, port } = await leaky();
  const by = await bystander();
  const livePort = await freePort();
  const running = await startServer(['--workers', '1', '--worker-port', String(livePort)], tracked);
  groups.push(running.pgid);
  await waitListening([livePort]);
  const targets = [...s.workers, s.tracker!];
  const r = await runCli(['clean', '--yes', '--grace', '2s', '--port', `${port},${livePort}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Plan: end \d+ process/);
  for (const pid of targets) {
    assert.match(r.stdout, new RegExp(`${pid}: terminated`));
    assert.equal(alive(pid), false, `target ${pid} ended`);
  }
  assert.match(r.stdout, new RegExp(`:${port} is free`));
  for (const pid of [by.child, by.parent, running.main, ...running.workers]) assert.equal(alive(pid), true, `pid ${pid} must survive clean`);
  assert.match(r.stdout, /Runs left alone \(\d+\):\n( {2}run .*\n)* {2}run \d+ \(running, [^)]*demo\/server\): running: started by/);
  assert.doesNotMatch(r.stdout.split('Runs left alone')[0]!, new RegExp(`\\b${running.main}\\b`), 'the running server is not in the plan');
});

test('workers that ignore SIGTERM are ended by the SIGKILL step', async () => {
  const { s, port } = await leaky(['--ignore-sigterm']);
  const r = await runCli(['clean', '--yes', '--grace', '500ms', '--port', String(port)]);
  assert.equal(r.code, 0, r.stdout);
  for (const w of s.workers) {
    assert.match(r.stdout, new RegExp(`${w}: killed \\(ignored SIGTERM for 0\\.5 s: SIGKILL\\)`));
    assert.equal(alive(w), false);
  }
});

test('a pid whose start time changed (reused; injected through the host) is not signalled', async () => {
  const { s } = await leaky();
  const victim = s.workers[0]!;
  const real = createHost();
  // The host reports a different start time for the victim: as if its pid now belonged to another process.
  const host: Host = {
    ...real,
    proc: { ...real.proc, read: (rel) => (rel === `${victim}/stat` ? real.proc.read(rel).replace(/^(\d+ \(.*\) (?:\S+ ){19})(\d+)/s, (_m, a: string, b: string) => `${a}${Number(b) + 1}`) : real.proc.read(rel)) },
  };
  const startKey = Number(real.proc.read(`${victim}/stat`).split(') ')[1]!.split(' ')[19]);
  const report = await executeCleanup(host, { targets: [{ pid: victim, startKey, uid: 0, role: 'worker', kind: 'spawn-worker', argv: [], ports: [], why: 'test', run: 1, phase: 'processes' }], excluded: [], runs: [] }, { graceMs: 300 });
  assert.equal(report.results[0]!.outcome, 'identity-changed');
  assert.equal(alive(victim), true, 'not signalled');
});

test('--dry-run signals nothing; without a terminal and without --yes it refuses', async () => {
  const { s, port } = await leaky();
  const dry = await runCli(['clean', '--dry-run', '--port', String(port)]);
  assert.equal(dry.code, 0);
  assert.match(dry.stdout, new RegExp(`Plan: end \\d+ processes[\\s\\S]*${s.workers[0]}`));
  const no = await runCli(['clean', '--port', String(port)]);
  assert.equal(no.code, 2);
  assert.match(no.stderr, /not on a terminal: pass --yes/);
  await waitFor(() => true, 'nothing');
  for (const w of s.workers) assert.equal(alive(w), true, 'nothing was signalled');
});
