// check and rerun, end to end with the sample server: a leaky stop, a clean one, three leaky reruns.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import { alive, cleanup, CLI, freePort, PYTHON, runCli, SERVER_DIR, waitFor } from '../helpers/live.js';

const tracked = new Set<number>();
after(() => cleanup(tracked, [...tracked]));

interface CheckJson {
  ok: boolean;
  serverPid: number;
  leftBehind: Array<{ pid: number; role: string; orphan: boolean }>;
  stopSignals: string[];
  readyMs: number;
  diagnosis: { verdict: string; findings: Array<{ id: string; pids: number[]; severity: string }> };
}

const server = (port: number) => ['--', PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(port)];
const common = (port: number) => ['--port', String(port), '--instances', '2', '--no-metrics', '--hold', '200ms', '--settle', '500ms', '--grace', '3s'];

test('check --stop kill: the run leaves its workers and tracker behind, and says so', async () => {
  const port = await freePort();
  const r = await runCli(['check', '--json', '--stop', 'kill', ...common(port), ...server(port)], { cwd: SERVER_DIR, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  const j = JSON.parse(r.stdout) as CheckJson;
  j.leftBehind.forEach((p) => tracked.add(p.pid));
  tracked.add(j.serverPid);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(j.ok, true);
  assert.deepEqual(j.stopSignals, [`SIGKILL to pid ${j.serverPid}`]);
  assert.equal(j.leftBehind.length, 3, JSON.stringify(j.leftBehind));
  assert.deepEqual(j.leftBehind.map((p) => p.role).sort(), ['helper', 'worker', 'worker']);
  assert.ok(j.leftBehind.every((p) => p.orphan), 'all orphans');
  const f = j.diagnosis.findings.find((x) => x.id === 'orphan-workers');
  assert.ok(f && j.leftBehind.every((p) => f.pids.includes(p.pid)), JSON.stringify(j.diagnosis.findings));
  const text = await runCli(['check', '--stop', 'kill', ...common(port), ...server(port)], { cwd: SERVER_DIR });
  assert.match(text.stdout, /left behind: 3 processes/);
  for (const m of text.stdout.matchAll(/^ {4}(\d+) /gm)) tracked.add(Number(m[1]));
  assert.match(text.stdout, /^Verdict: /m);
});

test('check --stop int (Ctrl-C to the group): a clean stop leaves nothing', async () => {
  const port = await freePort();
  const r = await runCli(['check', '--json', ...common(port), ...server(port)], { cwd: SERVER_DIR });
  const j = JSON.parse(r.stdout) as CheckJson;
  j.leftBehind.forEach((p) => tracked.add(p.pid));
  assert.equal(j.stopSignals[0], 'SIGINT to the process group');
  assert.deepEqual(j.leftBehind, []);
  assert.ok(!alive(j.serverPid), 'the server is gone');
  assert.equal(r.code, 0, r.stdout);
  // The first test's leftovers still run in this project: the machine has orphans, this run has
  // none, and the verdict says what the findings say (it judges the run, not the machine).
  assert.ok([...tracked].some(alive), 'precondition: earlier leftovers are alive');
  assert.deepEqual(j.diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.id), []);
  assert.doesNotMatch(j.diagnosis.verdict, /problem:|problems:/, j.diagnosis.verdict);
});

test('check of a command that exits at once: not checkable, exit 2 with its output', async () => {
  const r = await runCli(['check', '--port', '1', '--no-metrics', '--', PYTHON, '-c', 'import sys; print("boom", file=sys.stderr); sys.exit(3)']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /could not check: the server exited before it was ready \(exit 3\): boom/);
});

test('rerun -n 3 with a leaky stop: the table and the leak per run', async () => {
  const port = await freePort();
  const rec = join(mkdtempSync(join(tmpdir(), 'rd-rerun-')), 'rerun.ndjson');
  const r = await runCli(['rerun', '-n', '3', '--record', rec, '--stop', 'kill', ...common(port), ...server(port)], { cwd: SERVER_DIR });
  for (const m of r.stderr.matchAll(/pid (\d+)/g)) tracked.add(Number(m[1]));
  // Every process left behind is still ours to end: find them by the port they hold and by pgid.
  const ports = await runCli(['procs', '--json', '--port', String(port)]);
  for (const p of (JSON.parse(ports.stdout) as { processes: Array<{ pid: number; orphan: boolean; startTime: string }> }).processes) if (p.orphan) tracked.add(p.pid);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const rows = r.stdout.split('\n').filter((l) => /^\s+[123]\s/.test(l));
  assert.equal(rows.length, 3, r.stdout);
  assert.match(r.stdout, /LEAK: 9 processes left behind over 3 runs \(about 3\.0 per run\)/);
  // The third run's diagnosis names the leak: three runs' leftovers, orphaned runs side by side.
  const runs = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; run?: number; diagnosis?: { findings: Array<{ id: string }> } });
  assert.equal(runs[0]!.type, 'header');
  const third = runs.find((x) => x.run === 3)!;
  assert.ok(third.diagnosis!.findings.some((f) => f.id === 'process-leak'), JSON.stringify(third.diagnosis!.findings.map((f) => f.id)));
  rmSync(rec, { force: true });
});

test('check --save writes the evidence its diagnosis was made from: diagnose --from gives that diagnosis', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rd-check-save-'));
  try {
    const saved = join(dir, 'check.json');
    const r = await runCli(['check', '--json', '--stop', 'kill', '--save', saved, ...common(port), ...server(port)], { cwd: SERVER_DIR, env: { PYTHONDONTWRITEBYTECODE: '1' } });
    const j = JSON.parse(r.stdout) as CheckJson & { evidence?: unknown };
    j.leftBehind.forEach((p) => tracked.add(p.pid));
    assert.equal(j.evidence, undefined, 'the JSON leaves the document out');
    const doc = JSON.parse(readFileSync(saved, 'utf8')) as { kind: string; ownLeftovers: number[] };
    assert.equal(doc.kind, 'rerun-doctor-evidence');
    assert.deepEqual([...doc.ownLeftovers].sort(), j.leftBehind.map((p) => p.pid).sort(), 'what the run left, as the check found it');
    const replay = await runCli(['diagnose', '--from', saved, '--json']);
    const d = JSON.parse(replay.stdout) as CheckJson['diagnosis'];
    // The replay judges the whole machine as it was (check's own report keeps to its run).
    assert.ok(d.findings.some((f) => f.id === 'orphan-workers' && j.leftBehind.every((p) => f.pids.includes(p.pid))), `the replay finds the run's orphans: ${replay.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C during check ends the whole run it started (setsid workers too) and exits 130', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'check', '--port', String(port), '--no-metrics', '--hold', '60s', ...server(port)], { cwd: SERVER_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // Held: the server and its workers listen; find them by the port, as the user would.
  let pids: number[] = [];
  await waitFor(async () => {
    const ports = await runCli(['ports', String(port), '--json']);
    // The workers hold the port; their parent is the server's main (never further up: that is
    // the check itself, and this test).
    const owners = ports.code === 0 ? (JSON.parse(ports.stdout) as { ports: Array<{ sockets: Array<{ owners: Array<{ pid: number; ancestry: Array<{ pid: number }> }> }> }> }).ports.flatMap((p) => p.sockets.flatMap((s) => s.owners)) : [];
    pids = [...new Set(owners.flatMap((o) => [o.pid, o.ancestry[0]?.pid ?? 0]))].filter((p) => p > 1 && p !== child.pid && p !== process.pid);
    return pids.length >= 2;
  }, 'the checked server listens', 30_000);
  pids.forEach((p) => tracked.add(p));
  child.kill('SIGINT');
  assert.equal(await exited, 130, err);
  assert.match(err, /rerun-doctor check: interrupted: the server the check started was ended/);
  await waitFor(() => pids.every((p) => !alive(p)), `every process of the checked run is gone (${pids.join(', ')})`, 5_000);
});
