// The report's charts, as data: for each kind of chart, one chart per input that has what it
// needs, or why none could be drawn. The page draws them with uPlot and prints each one's values
// in a table beside it (the text alternative); nothing here knows about HTML.
import { toMs } from '../metrics/report.js';
import type { Evidence } from '../model/evidence.js';
import type { MetricsSample } from '../model/metrics-sample.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import type { ReportInput, RunRecord } from './inputs.js';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
}

export interface ChartSpec {
  id: string;
  kind: ChartKind;
  title: string;
  /** The input it was drawn from (its file name). */
  source: string;
  /** `time`: xs are Unix seconds; `run`: run numbers. */
  x: 'time' | 'run';
  yLabel: string;
  xs: number[];
  series: ChartSeries[];
  /** One or two sentences for people who cannot see the chart. */
  summary: string;
}

export const CHART_KINDS = {
  'procs-by-role': 'Processes by role',
  orphans: 'Orphaned processes',
  'rerun-ready': 'Time to ready per run',
  'rerun-leftovers': 'Processes left behind per run',
  'latency-p95': 'p95 request latency and tokenize time',
  'gpu-memory': 'GPU memory',
  'cpu-by-role': 'CPU by role',
  'rss-by-role': 'RSS by role',
} as const;

export type ChartKind = keyof typeof CHART_KINDS;

export interface ChartSet {
  charts: ChartSpec[];
  /** The kinds no input could draw, each with why. */
  absent: Array<{ kind: ChartKind; title: string; why: string }>;
}

const ROLES = ['server', 'worker', 'helper', 'launcher'] as const;
const MIB = 1024 * 1024;

const seconds = (iso: string) => Date.parse(iso) / 1000;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

function describe(series: ChartSeries[], unit: string): string {
  return series
    .map((s) => {
      const v = s.values.filter((x): x is number => x !== null);
      if (v.length === 0) return `${s.label}: no values`;
      return `${s.label}: first ${round(v[0]!)}${unit}, last ${round(v[v.length - 1]!)}${unit}, highest ${round(Math.max(...v))}${unit}`;
    })
    .join('; ');
}

/** The p95 of a key metric's first series, in ms; null when it has none this sample. */
function p95Ms(s: MetricsSample | null, key: 'requestLatency' | 'tokenize'): number | null {
  if (!s || !s.ok || s.seconds === null) return null;
  const row = s.keys.find((k) => k.key === key)?.series[0] as IntervalSummary | undefined;
  if (row?.p95 === undefined || !Number.isFinite(row.p95)) return null;
  return toMs(row.family, row.unit ?? null, row.p95) ?? row.p95;
}

function p95Series(samples: Array<MetricsSample | null>): ChartSeries[] {
  const out: ChartSeries[] = [];
  const lat = samples.map((s) => p95Ms(s, 'requestLatency'));
  const tok = samples.map((s) => p95Ms(s, 'tokenize'));
  if (lat.some((v) => v !== null)) out.push({ label: 'p95 request latency (ms)', values: lat.map((v) => (v === null ? null : round(v, 2))) });
  if (tok.some((v) => v !== null)) out.push({ label: 'p95 tokenize (ms)', values: tok.map((v) => (v === null ? null : round(v, 2))) });
  return out;
}

function chart(kind: ChartKind, source: string, x: ChartSpec['x'], yLabel: string, xs: number[], series: ChartSeries[], unit: string, what: string): ChartSpec {
  return { id: '', kind, title: `${CHART_KINDS[kind]}${what ? `, ${what}` : ''}`, source, x, yLabel, xs, series, summary: `${xs.length} ${x === 'run' ? 'runs' : 'points'}. ${describe(series, unit)}.` };
}

function rolesPresent(rows: Array<Record<string, number> | null>): Array<(typeof ROLES)[number]> {
  return ROLES.filter((r) => r !== 'launcher' || rows.some((x) => (x?.[r] ?? 0) > 0));
}

function watchProcsCharts(input: Extract<ReportInput, { kind: 'watch-procs' }>): ChartSpec[] {
  const xs = input.samples.map((s) => seconds(s.t));
  const ok = input.samples.map((s) => (s.ok ? s : null));
  const out: ChartSpec[] = [];
  const roles = rolesPresent(ok.map((s) => s?.counts ?? null));
  out.push(chart('procs-by-role', input.name, 'time', 'processes', xs, roles.map((r) => ({ label: r, values: ok.map((s) => s?.counts[r] ?? null) })), '', 'watch procs'));
  out.push(chart('orphans', input.name, 'time', 'processes', xs, [{ label: 'orphans', values: ok.map((s) => s?.orphans ?? null) }, { label: 'zombies', values: ok.map((s) => s?.zombies ?? null) }], '', 'watch procs'));
  if (ok.some((s) => s?.cpuPercent)) out.push(chart('cpu-by-role', input.name, 'time', '% of one core', xs, roles.map((r) => ({ label: r, values: ok.map((s) => (s?.cpuPercent ? round(s.cpuPercent[r] ?? 0) : null)) })), ' %', 'watch procs'));
  out.push(chart('rss-by-role', input.name, 'time', 'MiB', xs, roles.map((r) => ({ label: r, values: ok.map((s) => (s ? round((s.rssBytes[r] ?? 0) / MIB) : null)) })), ' MiB', 'watch procs'));
  return out;
}

function historyCharts(input: Extract<ReportInput, { kind: 'count-history' }>): ChartSpec[] {
  const xs = input.entries.map((e) => seconds(e.takenAt));
  const roles = (['server', 'worker', 'helper'] as const);
  return [
    chart('procs-by-role', input.name, 'time', 'processes', xs, [...roles.map((r) => ({ label: r, values: input.entries.map((e) => e.summary.byRole[r] ?? 0) })), { label: 'total', values: input.entries.map((e) => e.summary.total) }], '', 'count history'),
    chart('orphans', input.name, 'time', 'processes', xs, [{ label: 'orphans', values: input.entries.map((e) => e.summary.orphans) }, { label: 'unexplained', values: input.entries.map((e) => e.unexplained) }], '', 'count history'),
  ];
}

function rerunCharts(input: Extract<ReportInput, { kind: 'rerun' }>): ChartSpec[] {
  const runs: RunRecord[] = input.runs;
  const xs = runs.map((_, i) => i + 1);
  const out: ChartSpec[] = [];
  out.push(chart('rerun-ready', input.name, 'run', 'seconds', xs, [{ label: 'time to ready (s)', values: runs.map((r) => (r.readyMs === null ? null : round(r.readyMs / 1000, 2))) }, { label: 'load or hold (s)', values: runs.map((r) => (r.loadMs === null ? null : round(r.loadMs / 1000, 2))) }], ' s', 'rerun'));
  const seen = new Set<number>();
  const inAll = runs.map((r) => {
    r.leftBehind.forEach((p) => seen.add(p.pid));
    return seen.size;
  });
  out.push(chart('rerun-leftovers', input.name, 'run', 'processes', xs, [{ label: 'left by this run', values: runs.map((r) => r.leftBehind.length) }, { label: 'left in all', values: inAll }, { label: 'orphans left', values: runs.map((r) => r.leftBehind.filter((p) => p.orphan).length) }], '', 'rerun'));
  const lat = p95Series(runs.map((r) => r.metricsAfterLoad));
  if (lat.length > 0) out.push(chart('latency-p95', input.name, 'run', 'ms', xs, lat, ' ms', 'after the load, per run'));
  if (runs.some((r) => r.gpuBeforeMiB !== null || r.gpuAfterMiB !== null)) {
    out.push(chart('gpu-memory', input.name, 'run', 'MiB', xs, [{ label: 'GPU MiB before', values: runs.map((r) => r.gpuBeforeMiB) }, { label: 'GPU MiB after', values: runs.map((r) => r.gpuAfterMiB) }], ' MiB', 'per run'));
  }
  return out;
}

function metricsCharts(name: string, samples: MetricsSample[], what: string): ChartSpec[] {
  const interval = samples.filter((s) => !s.ok || s.seconds !== null);
  const series = p95Series(interval);
  if (series.length === 0) return [];
  return [chart('latency-p95', name, 'time', 'ms', interval.map((s) => seconds(s.t)), series, ' ms', what)];
}

function gpuChart(name: string, e: Evidence): ChartSpec | null {
  if (e.gpu.status !== 'ok') return null;
  const points = [...(e.gpuBefore ? [{ t: seconds(e.collectedAt), g: e.gpuBefore }] : []), { t: seconds(e.snapshot.takenAt), g: e.gpu.value }];
  const devices = e.gpu.value.devices;
  if (devices.length === 0) return null;
  return chart('gpu-memory', name, 'time', 'MiB', points.map((p) => p.t), devices.map((d) => ({ label: `GPU ${d.index}${d.name ? ` (${d.name})` : ''} MiB used`, values: points.map((p) => p.g.devices.find((x) => x.index === d.index)?.memoryUsedMiB ?? null) })), ' MiB', points.length > 1 ? 'before the server and at the end' : 'at the end of the window');
}

/** Every chart the inputs can draw, and for every kind none can, why. */
export function chartsOf(inputs: ReportInput[]): ChartSet {
  const charts: ChartSpec[] = [];
  const why: Partial<Record<ChartKind, string[]>> = {};
  const note = (kind: ChartKind, text: string) => (why[kind] ??= []).push(text);
  for (const input of inputs) {
    if (input.kind === 'watch-procs') {
      const got = watchProcsCharts(input);
      charts.push(...got);
      if (!got.some((c) => c.kind === 'cpu-by-role')) note('cpu-by-role', `${input.name} has no CPU reading: CPU is measured between two samples, and it has ${input.samples.length}`);
    } else if (input.kind === 'count-history') charts.push(...historyCharts(input));
    else if (input.kind === 'rerun') {
      const got = rerunCharts(input);
      charts.push(...got);
      if (!got.some((c) => c.kind === 'latency-p95')) note('latency-p95', `the runs in ${input.name} read no latency or tokenize histogram after the load (rerun without metrics, or none of those metrics)`);
      if (!got.some((c) => c.kind === 'gpu-memory')) note('gpu-memory', `the runs in ${input.name} read no GPU memory (no nvidia-smi where they ran)`);
    } else if (input.kind === 'watch-metrics') {
      const got = metricsCharts(input.name, input.samples, 'watch metrics');
      charts.push(...got);
      if (got.length === 0) note('latency-p95', `the metrics recorded in ${input.name} have no request latency or tokenize histogram with an interval p95`);
    } else if (input.kind === 'evidence') {
      const e = input.evidence;
      if (e.metrics.status === 'ok') {
        const got = metricsCharts(input.name, e.metrics.value.samples, 'the diagnosis window');
        charts.push(...got);
        if (got.length === 0) note('latency-p95', `the metrics window of ${input.name} has no request latency or tokenize p95 (one sample, or no such histogram)`);
      } else note('latency-p95', `${input.name}: metrics ${e.metrics.status}: ${e.metrics.reason}`);
      const g = gpuChart(input.name, e);
      if (g) charts.push(g);
      else note('gpu-memory', e.gpu.status === 'ok' ? `${input.name}: no GPU device was read` : `${input.name}: GPU ${e.gpu.status}: ${e.gpu.reason}`);
    }
  }
  charts.forEach((c, i) => (c.id = `chart-${i + 1}`));
  const has = (kind: ChartKind) => charts.some((c) => c.kind === kind);
  const fallback: Record<ChartKind, string> = {
    'procs-by-role': 'no watch procs recording (watch procs --record FILE) or count history among the inputs',
    orphans: 'no watch procs recording (watch procs --record FILE) or count history among the inputs',
    'rerun-ready': 'no rerun result among the inputs (rerun --json, rerun --record, check --json)',
    'rerun-leftovers': 'no rerun result among the inputs (rerun --json, rerun --record, check --json)',
    'latency-p95': 'no watch metrics recording, evidence with a metrics window or rerun with metrics among the inputs',
    'gpu-memory': 'no evidence document or rerun among the inputs',
    'cpu-by-role': 'no watch procs recording (watch procs --record FILE) among the inputs',
    'rss-by-role': 'no watch procs recording (watch procs --record FILE) among the inputs',
  };
  const absent = (Object.keys(CHART_KINDS) as ChartKind[]).filter((k) => !has(k)).map((kind) => ({ kind, title: CHART_KINDS[kind], why: why[kind]?.join('; ') ?? fallback[kind] }));
  return { charts, absent };
}
