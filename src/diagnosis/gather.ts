// Gathering the evidence for a diagnosis: census (at the start and the end of a short window),
// metrics samples over the window, GPU and thermal state, and the count history. The only I/O of
// the diagnosis; the rules are pure.
import { join } from 'node:path';
import { censusFailure, takeCensus } from '../census/census.js';
import { UsageError } from '../cli/errors.js';
import { portReports } from '../census/ports.js';
import type { HistoryEntry } from '../model/count.js';
import type { Context } from '../cli/context.js';
import type { Census } from '../model/census.js';
import type { ThermalEvidence } from '../model/thermal.js';
import { collectGpu } from '../probes/gpu.js';
import { collectThermal } from '../probes/thermal.js';
import type { DiagnosisInput, Maybe } from '../rules/types.js';
import { projectStateDir, readNdjson, stateBaseDir } from '../state/store.js';
import type { MetricsSample } from '../watch/metrics-sample.js';
import { createMetricsSampler } from '../watch/metrics-sampler.js';
import type { ScrapeOptions } from '../probes/metrics.http.js';

export interface GatherOptions {
  samples: number;
  intervalMs: number;
  metricsUrl: string;
  metrics: boolean;
  scrape: ScrapeOptions;
  /** Progress lines, when the caller shows them. */
  progress?: (line: string) => void;
}

export interface Gathered {
  input: DiagnosisInput;
  /** The raw pieces, for the evidence bundle. */
  census: Census;
  metricsSamples: MetricsSample[];
}

function unavailable<T>(reason: string): Maybe<T> {
  return { available: false, reason };
}

export async function gather(ctx: Context, o: GatherOptions): Promise<Gathered> {
  const host = ctx.host;
  const t0 = Date.now();
  const first = await takeCensus(host, ctx.classify);
  const failure = censusFailure(first);
  // Without the process list there is nothing to diagnose: say so, never "no problem found".
  if (failure) throw new UsageError(failure);
  const projectPids = () => first.processes.filter((p) => p.role !== null).map((p) => p.pid);
  const thermalFirst = await collectThermal(host);
  const samples: MetricsSample[] = [];
  if (o.metrics) {
    const w = createMetricsSampler(host, o.metricsUrl, o.scrape, ctx.config.keyMetrics);
    for (let i = 0; i < o.samples; i++) {
      if (i > 0) await host.sleep(o.intervalMs);
      o.progress?.(`sampling metrics ${i + 1}/${o.samples}…`);
      samples.push(await w.sample());
    }
  }
  // A second census only when a window passed (CPU over it); otherwise the first is the census.
  const census = o.metrics && o.samples > 1 ? await takeCensus(host, ctx.classify) : first;
  const gpuOutcome = await collectGpu(host, { pids: census.processes.filter((p) => p.role !== null).map((p) => p.pid).concat(projectPids()) });
  const gpuThermal = gpuOutcome.status === 'ok' ? gpuOutcome.value.devices.filter((d) => d.activeEventReasons.some((r) => /thermal/i.test(r))).map((d) => ({ index: d.index, reasons: d.activeEventReasons.filter((r) => /thermal/i.test(r)) })) : [];
  const thermalLast = await collectThermal(host, { gpuThermal });
  const good = samples.filter((s) => s.ok);
  const lastFail = [...samples].reverse().find((s): s is Extract<MetricsSample, { ok: false }> => !s.ok);
  const metrics: Maybe<MetricsSample[]> = !o.metrics
    ? unavailable('not sampled (--no-metrics)')
    : good.length === 0
      ? unavailable(`${o.metricsUrl} could not be read${lastFail ? ` (${lastFail.kind}: ${lastFail.message})` : ''}`)
      : { available: true, value: samples };
  // The end of the window decides (it carries the GPU's thermal slowdown too); the start, when
  // readable, is what counters are compared against.
  const thermal: Maybe<{ first: ThermalEvidence; last: ThermalEvidence }> =
    thermalLast.status === 'ok'
      ? { available: true, value: { first: thermalFirst.status === 'ok' ? thermalFirst.value : thermalLast.value, last: thermalLast.value } }
      : unavailable(thermalLast.reason);
  const historyFile = join(projectStateDir(stateBaseDir(ctx.config.stateDir, host.env), ctx.root), 'history.ndjson');
  const h = readNdjson<HistoryEntry>(historyFile);
  const history: Maybe<HistoryEntry[]> = h.entries.length > 0 ? { available: true, value: h.entries } : unavailable(`no count history for this project (${historyFile}); rerun-doctor count before/after keeps one`);
  const input: DiagnosisInput = {
    census,
    ports: portReports(census, ctx.config.ports, ctx.config.ports),
    instances: ctx.config.instances,
    history,
    metrics,
    gpu: gpuOutcome.status === 'ok' ? { available: true, value: gpuOutcome.value } : unavailable(gpuOutcome.reason),
    thermal,
    censusBefore: census === first ? null : first,
    windowSeconds: (Date.now() - t0) / 1000,
  };
  return { input, census, metricsSamples: samples };
}
