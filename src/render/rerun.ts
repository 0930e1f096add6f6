// rerun's table for people: per run, time to ready, load time, p95 request latency and tokenize time
// after the load, processes left (by this run, in all), GPU MiB after; then the trend, the verdict.
import { toMs } from '../metrics/report.js';
import type { CheckResult } from '../model/check.js';
import type { MetricsSample } from '../model/metrics-sample.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import type { Style } from './style.js';

function p95Of(s: MetricsSample | null, key: string): number | null {
  if (!s || !s.ok) return null;
  const row = s.keys.find((k) => k.key === key)?.series[0] as IntervalSummary | undefined;
  if (row?.p95 === undefined || !Number.isFinite(row.p95)) return null;
  return toMs(row.family, null, row.p95) ?? row.p95;
}

export interface RerunTrend {
  /** Processes left behind, over all the runs. */
  left: number;
  leaked: boolean;
  /** Time to ready of the last run over 1.5× the first's, and more than 0.5 s longer. */
  slower: boolean;
}

export function rerunTrend(results: CheckResult[], _k: number): RerunTrend {
  const left = new Set(results.flatMap((r) => r.leftBehind.map((p) => p.pid))).size;
  const ready = results.map((r) => r.readyMs ?? 0);
  const slower = ready.length > 1 && ready[ready.length - 1]! > ready[0]! * 1.5 && ready[ready.length - 1]! - ready[0]! > 500;
  return { left, leaked: left > 0, slower };
}

export function renderRerun(results: CheckResult[], k: number, t: RerunTrend, s: Style): string {
  const seen = new Set<number>();
  const rows = results.map((r, i) => {
    r.leftBehind.forEach((p) => seen.add(p.pid));
    const lat = p95Of(r.metricsAfterLoad, 'requestLatency');
    const tok = p95Of(r.metricsAfterLoad, 'tokenize');
    return [String(i + 1), ((r.readyMs ?? 0) / 1000).toFixed(1), ((r.loadMs ?? 0) / 1000).toFixed(1), lat === null ? '-' : lat.toFixed(1), tok === null ? '-' : tok.toFixed(1), String(r.leftBehind.length), String(seen.size), r.gpuAfterMiB === null ? '-' : String(r.gpuAfterMiB)];
  });
  const head = ['run', 'ready s', 'load s', 'p95 latency ms', 'p95 tokenize ms', 'left', 'left in all', 'GPU MiB after'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(w[i]!)).join('  ');
  const out = [fmt(head), ...rows.map(fmt), ''];
  const ready = results.map((r) => r.readyMs ?? 0);
  if (t.leaked) out.push(s.red(`LEAK: ${t.left} processes left behind over ${k} runs (about ${(t.left / k).toFixed(1)} per run)`));
  if (t.slower) out.push(s.red(`SLOWER: time to ready went from ${(ready[0]! / 1000).toFixed(1)} s to ${(ready[ready.length - 1]! / 1000).toFixed(1)} s`));
  if (!t.leaked && !t.slower) out.push(s.green(`OK: ${k} runs, nothing left behind, no slowdown`));
  return out.join('\n') + '\n';
}
