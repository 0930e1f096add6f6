// Every metric the exporter serves: name, type, help and labels, in one table. docs/exporter.md
// lists the same names (test/exporter/docs.test.ts compares the two and the exposition).
//
// Naming follows https://prometheus.io/docs/practices/naming/: the `rerun_doctor_` prefix, base
// units (bytes, seconds), `_total` for counters, `_info` for a series whose labels are the value.
// Labels are bounded: roles, run statuses, watched ports, rule ids, severities, probe names, GPU
// indexes and the ordinal of a running run; never a pid, a command line or an environment value.

export type MetricType = 'gauge' | 'counter';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
}

const def = (name: string, type: MetricType, help: string, labels: readonly string[] = []): MetricDef => ({ name, type, help, labels });

export const METRICS = [
  def('rerun_doctor_build_info', 'gauge', 'Always 1; the version of rerun-doctor that serves these metrics.', ['version']),
  def('rerun_doctor_processes', 'gauge', "The project's processes (servers, workers, helpers, launchers; zombies left out) by role and by the status of their run.", ['role', 'status']),
  def('rerun_doctor_orphans', 'gauge', 'Processes left behind by dead runs of the project, by role.', ['role']),
  def('rerun_doctor_runs', 'gauge', "The project's runs by status: running, detached (its launcher is gone) or orphaned (its main process is gone).", ['status']),
  def('rerun_doctor_run_processes', 'gauge', 'Server plus workers of each running run of the project, by the run\'s ordinal (1 = the oldest running run).', ['run']),
  def('rerun_doctor_run_expected_processes', 'gauge', 'What each running run should have: 1 + N (--instances N or "instances" in the config); absent when N is not known.', ['run']),
  def('rerun_doctor_unexplained_processes', 'gauge', 'Project processes no running server explains (the count check of `rerun-doctor count`): orphans, extra workers, extra helpers.'),
  def('rerun_doctor_zombies', 'gauge', 'Zombie processes (exited, not reaped) among the project\'s.'),
  def('rerun_doctor_port_listeners', 'gauge', 'Listening sockets on each watched port (0: free).', ['port']),
  def('rerun_doctor_port_duplicated', 'gauge', '1 when a watched port has several listening sockets on overlapping addresses (SO_REUSEPORT duplicates), else 0.', ['port']),
  def('rerun_doctor_port_runs', 'gauge', 'How many runs hold sockets on each watched port (2 or more: a port shared by two runs).', ['port']),
  def('rerun_doctor_port_held_by_orphan', 'gauge', '1 when a process left behind by a dead run holds a watched port, else 0.', ['port']),
  def('rerun_doctor_gpu_memory_used_bytes', 'gauge', 'GPU memory in use on each NVIDIA GPU (nvidia-smi memory.used).', ['gpu']),
  def('rerun_doctor_gpu_memory_total_bytes', 'gauge', 'GPU memory on each NVIDIA GPU (nvidia-smi memory.total).', ['gpu']),
  def('rerun_doctor_gpu_orphan_memory_bytes', 'gauge', 'GPU memory held by processes of dead runs of the project, by GPU ("unknown" when the driver does not say which).', ['gpu']),
  def('rerun_doctor_gpu_orphan_processes', 'gauge', 'Processes of dead runs of the project that hold GPU memory (listed by NVML or holding /dev/nvidia*).'),
  def('rerun_doctor_shm_leaked_bytes', 'gauge', 'Bytes in /dev/shm of segments judged leaked (no live holder; left by a dead run): the shm-leak rule.'),
  def('rerun_doctor_shm_leaked_segments', 'gauge', 'Segments in /dev/shm judged leaked.'),
  def('rerun_doctor_shm_dead_run_bytes', 'gauge', 'Bytes in /dev/shm of segments held only by processes of dead runs (freed once they are ended).'),
  def('rerun_doctor_shm_used_bytes', 'gauge', 'Bytes used in the /dev/shm filesystem (statfs).'),
  def('rerun_doctor_shm_size_bytes', 'gauge', 'Size of the /dev/shm filesystem (statfs).'),
  def('rerun_doctor_finding_info', 'gauge', 'Always 1: one series per active finding of the diagnosis, by rule id, severity and the watched port it concerns ("" when none).', ['rule', 'severity', 'port']),
  def('rerun_doctor_findings', 'gauge', 'Active findings of the diagnosis by rule id and severity.', ['rule', 'severity']),
  def('rerun_doctor_thermal_throttled', 'gauge', '1 when the thermal-throttling rule finds the CPU or a GPU slowed by heat, else 0; absent when there is no thermal evidence here.'),
  def('rerun_doctor_thermal_pressure_level', 'gauge', 'macOS thermal pressure level (0 nominal … 4); absent elsewhere.'),
  def('rerun_doctor_probe_success', 'gauge', '0 when a probe failed (its evidence exists but could not be read), 1 when it read its evidence or there is none to read here.', ['probe']),
  def('rerun_doctor_probe_status', 'gauge', '1 for the status each probe ended with (ok, unavailable, failed), 0 for the others.', ['probe', 'status']),
  def('rerun_doctor_probe_duration_seconds', 'gauge', 'How long each probe took in the last collection.', ['probe']),
  def('rerun_doctor_census_processes', 'gauge', 'Every process the last census read (the size of the collection\'s work).'),
  def('rerun_doctor_collection_duration_seconds', 'gauge', 'Wall time of the last collection.'),
  def('rerun_doctor_collection_cpu_seconds', 'gauge', 'CPU time (user + system) the last collection cost the exporter.'),
  def('rerun_doctor_collection_success', 'gauge', '1 when the last collection succeeded, 0 when it failed (the other metrics are then from the last one that succeeded).'),
  def('rerun_doctor_last_collection_timestamp_seconds', 'gauge', 'When the metrics served were collected (Unix time).'),
  def('rerun_doctor_collections_total', 'counter', 'Collections made since the exporter started.'),
  def('rerun_doctor_collection_errors_total', 'counter', 'Collections that failed since the exporter started.'),
  def('rerun_doctor_collector_cpu_seconds_total', 'counter', 'CPU time (user + system) spent collecting since the exporter started.'),
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof METRICS)[number]['name'];

/** The probes whose success and duration are exported. */
export const PROBES = ['census', 'gpu', 'thermal', 'memory', 'shm', 'cpu', 'multiproc', 'history', 'socketFiles'] as const;
export type ProbeName = (typeof PROBES)[number];
