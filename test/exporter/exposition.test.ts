// The exporter's series from real evidence documents (the golden captures of
// test/fixtures/evidence/, from real runs), plus GPU and macOS thermal parts added to a copy where
// no capture has them (no GPU here: the values are the shapes of nvidia-smi's, see
// test/fixtures/gpu/SOURCE.md). Each exposition passes `promtool check metrics`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { diagnosisInput } from '../../src/diagnosis/input.js';
import { exposition } from '../../src/exporter/exposition.js';
import type { Series } from '../../src/exporter/facts.js';
import { METRICS } from '../../src/exporter/metrics.js';
import { judgeShm, shmTotal } from '../../src/census/shm.js';
import { allDocuments, load, seriesOf, withGpu, withThermal } from '../helpers/exporter.js';

const value = (s: Series[], name: string, labels: Record<string, string> = {}) => {
  const hit = s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.equal(hit.length, 1, `exactly one ${name}${JSON.stringify(labels)}: ${JSON.stringify(hit)}`);
  return hit[0]!.value;
};

test('killed-main: the orphans by role, the port they hold, the finding; zeros for the rest', () => {
  const s = seriesOf(load('killed-main'));
  assert.equal(value(s, 'rerun_doctor_orphans', { role: 'worker' }), 2);
  assert.equal(value(s, 'rerun_doctor_orphans', { role: 'helper' }), 1);
  assert.equal(value(s, 'rerun_doctor_orphans', { role: 'server' }), 0);
  assert.equal(value(s, 'rerun_doctor_processes', { role: 'worker', status: 'orphaned' }), 2);
  assert.equal(value(s, 'rerun_doctor_processes', { role: 'worker', status: 'running' }), 0);
  assert.equal(value(s, 'rerun_doctor_runs', { status: 'orphaned' }), 1);
  assert.equal(value(s, 'rerun_doctor_port_held_by_orphan', { port: '45683' }), 1);
  assert.equal(value(s, 'rerun_doctor_finding_info', { rule: 'orphan-workers', severity: 'error', port: '45683' }), 1);
  assert.equal(value(s, 'rerun_doctor_findings', { rule: 'orphan-workers', severity: 'error' }), 1);
  assert.equal(value(s, 'rerun_doctor_unexplained_processes'), 3);
  // Without --instances nothing is expected, so no expected series at all.
  assert.equal(s.filter((x) => x.name === 'rerun_doctor_run_expected_processes').length, 0);
  // No GPU, no thermal files in the capture: no GPU series, no thermal verdict.
  assert.equal(s.filter((x) => x.name.startsWith('rerun_doctor_gpu_') || x.name.startsWith('rerun_doctor_thermal_')).length, 0);
  assert.equal(value(s, 'rerun_doctor_probe_success', { probe: 'gpu' }), 1, 'no GPU here is not a failure');
  assert.equal(value(s, 'rerun_doctor_probe_status', { probe: 'gpu', status: 'unavailable' }), 1);
});

test('rerun-after-kill: 1 + N of the running run, a port shared by two runs', () => {
  const s = seriesOf(load('rerun-after-kill'));
  assert.equal(value(s, 'rerun_doctor_run_processes', { run: '1' }), 3, 'server 95 and workers 97, 98');
  assert.equal(value(s, 'rerun_doctor_run_expected_processes', { run: '1' }), 3, '1 + 2 (instances 2)');
  assert.equal(value(s, 'rerun_doctor_port_runs', { port: '44547' }), 2);
  assert.equal(value(s, 'rerun_doctor_port_duplicated', { port: '44547' }), 1);
  assert.equal(value(s, 'rerun_doctor_port_listeners', { port: '44547' }), 4);
  assert.equal(value(s, 'rerun_doctor_finding_info', { rule: 'port-shared', severity: 'error', port: '44547' }), 1);
  assert.equal(value(s, 'rerun_doctor_runs', { status: 'running' }), 1);
});

test('shm-leak: the leaked bytes are the rule\'s own judgement', () => {
  const e = load('shm-leak');
  const s = seriesOf(e);
  const { input } = diagnosisInput(e);
  assert.equal(input.shm.status, 'ok');
  if (input.shm.status !== 'ok') return;
  const leaked = shmTotal(judgeShm(input.shm.value, input.census).filter((j) => j.state === 'leaked'));
  assert.ok(leaked.bytes > 0, 'the capture has leaked segments');
  assert.equal(value(s, 'rerun_doctor_shm_leaked_bytes'), leaked.bytes);
  assert.equal(value(s, 'rerun_doctor_shm_leaked_segments'), leaked.count);
  assert.equal(value(s, 'rerun_doctor_shm_size_bytes'), input.shm.value.usage!.totalBytes);
  assert.equal(value(s, 'rerun_doctor_finding_info', { rule: 'shm-leak', severity: 'warning', port: '' }), 1);
});

test('GPU: memory of dead runs by GPU, never the running server\'s', () => {
  const s = seriesOf(withGpu(load('rerun-after-kill')));
  assert.equal(value(s, 'rerun_doctor_gpu_orphan_memory_bytes', { gpu: '0' }), 9000 * 2 ** 20);
  assert.equal(value(s, 'rerun_doctor_gpu_orphan_memory_bytes', { gpu: '1' }), 0);
  assert.equal(value(s, 'rerun_doctor_gpu_orphan_processes'), 1);
  assert.equal(value(s, 'rerun_doctor_gpu_memory_used_bytes', { gpu: '0' }), 14_500 * 2 ** 20);
  assert.equal(value(s, 'rerun_doctor_gpu_memory_total_bytes', { gpu: '1' }), 81_559 * 2 ** 20);
  assert.equal(value(s, 'rerun_doctor_finding_info', { rule: 'gpu-memory-held', severity: 'error', port: '' }), 1);
});

test('thermal: throttled 0 and the macOS pressure level when there is thermal evidence', () => {
  const s = seriesOf(withThermal(load('healthy-server')));
  assert.equal(value(s, 'rerun_doctor_thermal_pressure_level'), 2);
  assert.equal(value(s, 'rerun_doctor_thermal_throttled'), 0);
});

const ALLOWED_LABELS = new Set(['version', 'role', 'status', 'run', 'port', 'gpu', 'rule', 'severity', 'probe']);

test('no command line, environment value or pid is ever a label; labels are bounded', async () => {
  const e = withGpu(load('rerun-after-kill'));
  const secret = 'sk-live-0123456789abcdef';
  for (const p of e.snapshot.processes) {
    p.argv = [...p.argv, `--api-key=${secret}`];
    p.env = { ...(p.env ?? {}), HF_TOKEN: secret };
  }
  const s = seriesOf(e);
  for (const x of s) for (const k of Object.keys(x.labels)) assert.ok(ALLOWED_LABELS.has(k), `${x.name}: label ${k}`);
  const pids = new Set(e.snapshot.processes.map((p) => String(p.pid)));
  for (const x of s) for (const [k, v] of Object.entries(x.labels)) if (k !== 'port' && k !== 'run' && k !== 'gpu') assert.ok(!pids.has(v), `${x.name}{${k}="${v}"}: a pid`);
  for (const format of ['text', 'openmetrics'] as const) {
    const text = await exposition(s, format);
    assert.ok(!text.includes(secret), 'no secret');
    assert.ok(!text.includes('src.main') && !text.includes('spawn_main'), 'no command line');
  }
});

test('every exposition passes promtool check metrics; OpenMetrics ends with # EOF', async (t) => {
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  assert.ok(!promtool.error, 'promtool is needed (Debian package prometheus; .ci/run installs it)');
  for (const [name, e] of [['killed-main', load('killed-main')], ['rerun-after-kill+gpu', withGpu(load('rerun-after-kill'))], ['shm-leak', load('shm-leak')], ['healthy+thermal', withThermal(load('healthy-server'))]] as const) {
    await t.test(name, async () => {
      const text = await exposition(seriesOf(e), 'text');
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
      const om = await exposition(seriesOf(e), 'openmetrics');
      assert.ok(om.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
      assert.match(om, /^# TYPE rerun_doctor_orphans gauge$/m);
    });
  }
});

test('every metric of the table is produced by one of these documents or the collector', () => {
  const produced = new Set(allDocuments().flatMap((e) => seriesOf(e).map((x) => x.name)));
  const collectorOwn = new Set(['rerun_doctor_build_info', 'rerun_doctor_probe_duration_seconds', 'rerun_doctor_collection_duration_seconds', 'rerun_doctor_collection_cpu_seconds', 'rerun_doctor_collection_success', 'rerun_doctor_last_collection_timestamp_seconds', 'rerun_doctor_collections_total', 'rerun_doctor_collection_errors_total', 'rerun_doctor_collector_cpu_seconds_total']);
  const missing = METRICS.map((m) => m.name).filter((n) => !produced.has(n) && !collectorOwn.has(n));
  assert.deepEqual(missing, []);
});
