// What the exporter serves, computed from one evidence document and its diagnosis: pure, so the
// same document gives the same series (tests feed it the golden captures). The judgements are the
// rules' own (the census's runs and orphans, the port reports, the shared-memory judgement), never
// a second reading of the evidence.
import { deadRun, judgeShm, shmTotal, SHM_JUDGE_DEFAULTS } from '../census/shm.js';
import { judgeCount } from '../census/count.js';
import type { DiagnosisInput } from '../rules/types.js';
import type { Diagnosis } from '../model/diagnosis.js';
import type { Evidence } from '../model/evidence.js';
import type { Outcome } from '../model/outcome.js';
import type { MetricName, ProbeName } from './metrics.js';

export interface Series {
  name: MetricName;
  labels: Record<string, string>;
  value: number;
}

const MiB = 1024 * 1024;
const ROLES = ['server', 'worker', 'helper', 'launcher'] as const;
const STATUSES = ['running', 'detached', 'orphaned'] as const;

/** The series of one collection (the collector's own are added by the collector). */
export function factsOf(evidence: Evidence, input: DiagnosisInput, diagnosis: Diagnosis): Series[] {
  const out: Series[] = [];
  const add = (name: MetricName, value: number, labels: Record<string, string> = {}) => out.push({ name, labels, value });
  const census = input.census;
  const runOf = new Map(census.generations.map((g) => [g.id, g]));
  const project = census.processes.filter((p) => p.role !== null && !p.zombie && p.generation !== null && runOf.get(p.generation)?.scope === 'project');

  // Processes by role and run status; every combination, so a count that falls to 0 is seen as 0.
  for (const role of ROLES) {
    for (const status of STATUSES) add('rerun_doctor_processes', project.filter((p) => p.role === role && runOf.get(p.generation!)!.status === status).length, { role, status });
    add('rerun_doctor_orphans', project.filter((p) => p.role === role && p.orphan).length, { role });
  }
  const runs = census.generations.filter((g) => g.scope === 'project');
  for (const status of STATUSES) add('rerun_doctor_runs', runs.filter((g) => g.status === status).length, { status });

  // 1 + N per running run with a server, oldest first.
  const running = runs.filter((g) => g.status === 'running' && project.some((p) => p.generation === g.id && p.role === 'server')).sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id - b.id);
  running.forEach((g, i) => {
    const run = String(i + 1);
    add('rerun_doctor_run_processes', project.filter((p) => p.generation === g.id && (p.role === 'server' || p.role === 'worker')).length, { run });
    if (input.instances !== null) add('rerun_doctor_run_expected_processes', 1 + input.instances, { run });
  });
  add('rerun_doctor_unexplained_processes', judgeCount(census, input.instances).unexplained.length);
  add('rerun_doctor_zombies', census.processes.filter((p) => p.zombie && p.generation !== null && runOf.get(p.generation)?.scope === 'project').length);

  for (const r of input.ports.filter((x) => x.watched)) {
    const port = String(r.port);
    add('rerun_doctor_port_listeners', r.sockets.length, { port });
    add('rerun_doctor_port_duplicated', r.topology === 'duplicated' ? 1 : 0, { port });
    add('rerun_doctor_port_runs', r.runs.length, { port });
    add('rerun_doctor_port_held_by_orphan', r.heldByOrphan ? 1 : 0, { port });
  }

  if (input.gpu.status === 'ok' && input.gpu.value.vendor === 'nvidia') {
    const gpu = input.gpu.value;
    const indexOf = new Map(gpu.devices.filter((d) => d.uuid !== null).map((d) => [d.uuid!, String(d.index)]));
    for (const d of gpu.devices) {
      if (d.memoryUsedMiB !== null) add('rerun_doctor_gpu_memory_used_bytes', d.memoryUsedMiB * MiB, { gpu: String(d.index) });
      if (d.memoryTotalMiB !== null) add('rerun_doctor_gpu_memory_total_bytes', d.memoryTotalMiB * MiB, { gpu: String(d.index) });
    }
    const byPid = new Map(census.processes.map((p) => [p.pid, p]));
    const held = new Map<string, number>(gpu.devices.map((d) => [String(d.index), 0]));
    const holders = new Set<number>();
    for (const gp of gpu.processes) {
      const p = byPid.get(gp.pid);
      const g = p?.generation != null ? runOf.get(p.generation) : undefined;
      if (!g || g.scope !== 'project' || !deadRun(g)) continue;
      holders.add(gp.pid);
      const key = (gp.gpuUuid !== null ? indexOf.get(gp.gpuUuid) : undefined) ?? (gpu.devices.length === 1 ? String(gpu.devices[0]!.index) : 'unknown');
      held.set(key, (held.get(key) ?? 0) + (gp.usedMemoryMiB ?? 0) * MiB);
    }
    for (const [gpuKey, bytes] of held) add('rerun_doctor_gpu_orphan_memory_bytes', bytes, { gpu: gpuKey });
    add('rerun_doctor_gpu_orphan_processes', holders.size);
  }

  if (input.shm.status === 'ok') {
    const shm = input.shm.value;
    const js = judgeShm(shm, census, SHM_JUDGE_DEFAULTS);
    const leaked = shmTotal(js.filter((j) => j.state === 'leaked'));
    add('rerun_doctor_shm_leaked_bytes', leaked.bytes);
    add('rerun_doctor_shm_leaked_segments', leaked.count);
    add('rerun_doctor_shm_dead_run_bytes', shmTotal(js.filter((j) => j.state === 'held-by-dead-run')).bytes);
    if (shm.usage) {
      add('rerun_doctor_shm_used_bytes', shm.usage.usedBytes);
      add('rerun_doctor_shm_size_bytes', shm.usage.totalBytes);
    }
  }

  // One _info series per (rule, severity, port): several findings of one rule on one port are one series.
  const info = new Map<string, Record<string, string>>();
  const counts = new Map<string, { rule: string; severity: string; n: number }>();
  for (const f of diagnosis.findings) {
    for (const port of f.ports.length > 0 ? f.ports.map(String) : ['']) info.set(`${f.id}\0${f.severity}\0${port}`, { rule: f.id, severity: f.severity, port });
    const k = `${f.id}\0${f.severity}`;
    const c = counts.get(k) ?? { rule: f.id, severity: f.severity, n: 0 };
    c.n++;
    counts.set(k, c);
  }
  for (const labels of info.values()) add('rerun_doctor_finding_info', 1, labels);
  for (const c of counts.values()) add('rerun_doctor_findings', c.n, { rule: c.rule, severity: c.severity });

  if (input.thermal.status === 'ok') {
    add('rerun_doctor_thermal_throttled', diagnosis.findings.some((f) => f.id === 'thermal-throttling') ? 1 : 0);
    const level = input.thermal.value.last.thermalPressureLevel;
    if (level !== null) add('rerun_doctor_thermal_pressure_level', level);
  }

  for (const [probe, o] of probeOutcomes(evidence)) {
    add('rerun_doctor_probe_success', o.status === 'failed' ? 0 : 1, { probe });
    for (const status of ['ok', 'unavailable', 'failed'] as const) add('rerun_doctor_probe_status', o.status === status ? 1 : 0, { probe, status });
  }
  add('rerun_doctor_census_processes', evidence.snapshot.processes.length);
  return out;
}

/** Each probe's outcome in the document (the census always read: a collection without it fails). */
export function probeOutcomes(e: Evidence): Array<[ProbeName, Pick<Outcome<unknown>, 'status'>]> {
  const missing = { status: 'unavailable' } as const;
  return [
    ['census', { status: 'ok' }],
    ['gpu', e.gpu],
    ['thermal', e.thermal],
    ['memory', e.memory ?? missing],
    ['shm', e.shm ?? missing],
    ['cpu', e.cpu ?? missing],
    ['multiproc', e.multiproc ?? missing],
    ['history', e.history],
    ['socketFiles', e.socketFiles ?? missing],
  ];
}
