// The exporter scraped by a real Prometheus server (Debian's prometheus), both on loopback inside
// the live group's private namespace, while real orphaned workers exist: Prometheus's HTTP API
// shows the orphan count and the RerunDoctorOrphans alert pending (deploy/prometheus/alerts.yml,
// loaded by that server), then the count back at 0 after `clean --yes`. Prometheus and the
// exporter are stopped by pid and group, and the data directory removed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, CLI, freePort, liveScope, orphanedRun, runCli, waitFor } from '../helpers/live.js';
import { ROOT } from '../helpers/paths.js';

const { tracked, groups, tempDir } = liveScope();

function startDetached(argv: string[], o: { cwd?: string } = {}): { child: ChildProcess; stderr: () => string } {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd ?? ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  tracked.add(child.pid!);
  groups.push(child.pid!);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err };
}

async function api<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  const body = (await res.json()) as { status: string; data: T };
  assert.equal(body.status, 'success');
  return body.data;
}

async function orphans(port: number): Promise<number | null> {
  const data = await api<{ result: Array<{ value: [number, string] }> }>(port, `/api/v1/query?query=${encodeURIComponent('sum(rerun_doctor_orphans{job="rerun-doctor"})')}`);
  return data.result.length === 0 ? null : Number(data.result[0]!.value[1]);
}

async function stop(c: ChildProcess, what: string): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  process.kill(c.pid!, 'SIGTERM');
  await exited;
  assert.equal(alive(c.pid!), false, `${what} ended`);
}

test('a real Prometheus scrapes the exporter: orphans, the orphan alert pending, 0 after clean', { timeout: 120_000 }, async () => {
  assert.equal(spawnSync('prometheus', ['--version']).error, undefined, 'prometheus is needed (Debian package prometheus; .ci/run installs it)');

  // A server whose main process is SIGKILLed: 2 workers and the resource tracker are orphans.
  const { s, port: workerPort } = await orphanedRun(tracked, groups);
  const left = [...s.workers, s.tracker!];

  // The exporter, collecting every second; its address from its ready line.
  const exp = startDetached([process.execPath, CLI, 'exporter', '--listen', '127.0.0.1:0', '--interval', '1s', '--port', String(workerPort)]);
  await waitFor(() => /serving http:\/\/127\.0\.0\.1:\d+\/metrics/.test(exp.stderr()), 'the exporter to serve', 20_000);
  const exporterPort = Number(/127\.0\.0\.1:(\d+)\/metrics/.exec(exp.stderr())![1]);

  // Prometheus: a temporary config and data dir, a 1 s scrape and evaluation interval, the alert rules.
  const dir = tempDir('rd-prometheus-');
  copyFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), join(dir, 'alerts.yml'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - alerts.yml\nscrape_configs:\n  - job_name: rerun-doctor\n    static_configs:\n      - targets: ['127.0.0.1:${exporterPort}']\n`);
  const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);
  const promPort = await freePort();
  const prom = startDetached(['prometheus', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { cwd: dir });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => null))?.status === 200, `prometheus to be ready: ${prom.stderr()}`, 30_000);

    // The scrape is up, and the orphans are there: 2 workers + the resource tracker.
    await waitFor(async () => (await orphans(promPort)) === left.length, 'Prometheus to see the orphans', 30_000);
    const up = await api<{ result: Array<{ value: [number, string] }> }>(promPort, `/api/v1/query?query=${encodeURIComponent('up{job="rerun-doctor"}')}`);
    assert.equal(up.result[0]?.value[1], '1', 'the exporter is up');
    const workers = await api<{ result: Array<{ value: [number, string] }> }>(promPort, `/api/v1/query?query=${encodeURIComponent('rerun_doctor_orphans{role="worker"}')}`);
    assert.equal(workers.result[0]?.value[1], '2', 'two orphaned workers');

    // The orphan alert: loaded from alerts.yml and pending (for: 5m).
    await waitFor(async () => {
      const a = await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(promPort, '/api/v1/alerts');
      return a.alerts.some((x) => x.labels.alertname === 'RerunDoctorOrphans' && x.state === 'pending');
    }, 'RerunDoctorOrphans to go pending', 30_000);
    const rules = await api<{ groups: Array<{ rules: Array<{ name: string; health: string }> }> }>(promPort, '/api/v1/rules');
    const loaded = rules.groups.flatMap((g) => g.rules);
    assert.ok(loaded.length >= 9 && loaded.every((r) => r.health !== 'err'), `every rule loaded and healthy: ${JSON.stringify(loaded.map((r) => [r.name, r.health]))}`);

    // clean ends the orphans; the count falls to 0 in Prometheus.
    const c = await runCli(['clean', '--yes', '--grace', '2s', '--port', String(workerPort)]);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    for (const pid of left) assert.equal(alive(pid), false, `orphan ${pid} ended`);
    await waitFor(async () => (await orphans(promPort)) === 0, 'Prometheus to see 0 orphans', 30_000);
    assert.equal(alive(exp.child.pid!), true, 'clean left the exporter alone');
    assert.equal(alive(prom.child.pid!), true, 'and Prometheus');
  } finally {
    await stop(prom.child, 'prometheus');
    await stop(exp.child, 'the exporter');
  }
  assert.equal(exp.child.exitCode, 0, `the exporter exits 0 on SIGTERM: ${exp.stderr()}`);
});
