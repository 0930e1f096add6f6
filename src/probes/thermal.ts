// collectThermal: the platform's thermal probe, plus NVIDIA thermal slowdown handed in by the GPU
// probe (which owns nvidia-smi; this module runs no GPU command). See docs/probes/thermal.md.
import type { Host } from '../host/host.js';
import { failed, ok, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import type { ThermalEvidence } from '../model/thermal.js';
import { darwinThermal } from './thermal.darwin.js';
import { linuxCpuPressure, linuxThermal } from './thermal.linux.js';

export interface GpuThermalSlowdown {
  index: number;
  /** Active thermal slowdown reasons, e.g. `hw_thermal_slowdown`, `sw_thermal_slowdown`. */
  reasons: string[];
}

export interface CollectThermalOptions {
  /**
   * GPUs from an ok GPU probe with their Active thermal slowdown reasons. Either every GPU read (an
   * empty `reasons` for one that is not slowed) or only the slowed ones. An empty array (or leaving
   * it out) merges nothing: it cannot tell "no GPU / nvidia-smi unavailable" from "none slowed".
   */
  gpuThermal?: GpuThermalSlowdown[];
}

/** Where the GPU part came from, for `sources` and the outcome's source. */
export const GPU_THERMAL_SOURCE = 'nvidia-smi clocks_event_reasons (from the GPU probe)';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** GPUs with at least one reason, reasons de-duplicated, by index. */
function slowedGpus(gpus: GpuThermalSlowdown[]): GpuThermalSlowdown[] {
  return gpus
    .map((g) => ({ index: g.index, reasons: [...new Set(g.reasons.map((r) => r.trim()).filter((r) => r !== ''))] }))
    .filter((g) => g.reasons.length > 0)
    .sort((a, b) => a.index - b.index);
}

async function platformThermal(host: Host): Promise<Outcome<ThermalEvidence>> {
  const probe = host.platform === 'darwin' ? darwinThermal : linuxThermal;
  try {
    return await probe(host);
  } catch (e) {
    // A probe must not sink the run; one that throws is a bug, reported as a failed outcome.
    return failed(`thermal.${host.platform} threw: ${errorMessage(e)}`, `thermal.${host.platform}`);
  }
}

/**
 * The host platform's thermal outcome, with NVIDIA thermal slowdown merged in.
 *
 * No GPU entries (`gpuThermal` absent or []): the platform's outcome, unchanged.
 * Platform ok: `gpuThermalSlowdown` is filled (slowed GPUs only) and the GPU source added.
 * Platform unavailable/failed, and some GPU IS thermally slowed: ok, because that is real thermal
 * evidence a rule must see. The CPU side is then empty (cpus [], coolingDevices [], nulls), and an
 * issue of kind `unavailable`/`failed` with the platform's reason says the CPU side is unknown, not
 * cool. On Linux the PSI value is still filled in when readable (contention, not throttling).
 * Platform unavailable/failed, GPUs listed but none slowed: the platform's outcome stays, its reason
 * extended with "N NVIDIA GPUs read: none reports a thermal slowdown". No CPU evidence plus a cool GPU
 * is still "not judged" for CPU throttling, and an ok with nothing in it would read as "not throttled".
 */
export async function collectThermal(host: Host, opts: CollectThermalOptions = {}): Promise<Outcome<ThermalEvidence>> {
  const base = await platformThermal(host);
  if (opts.gpuThermal === undefined || opts.gpuThermal.length === 0) return base;
  const gpus = slowedGpus(opts.gpuThermal);

  if (base.status === 'ok') {
    return ok({ ...base.value, gpuThermalSlowdown: gpus, sources: [...base.value.sources, GPU_THERMAL_SOURCE] }, `${base.source}; ${GPU_THERMAL_SOURCE}`, base.issues);
  }
  if (gpus.length === 0) {
    const read = opts.gpuThermal.length;
    return { ...base, reason: `${base.reason} (${read} NVIDIA GPU${read === 1 ? '' : 's'} read: none reports a thermal slowdown)` };
  }

  const issues: SnapshotIssue[] = [{ probe: `thermal.${host.platform}`, kind: base.status === 'failed' ? 'failed' : 'unavailable', message: base.reason }];
  const sources = [GPU_THERMAL_SOURCE];
  let cpuPressureSomeAvg10: number | null = null;
  if (host.platform === 'linux') {
    const psi = await linuxCpuPressure(host);
    if (psi.status === 'ok') {
      cpuPressureSomeAvg10 = psi.value.some.avg10;
      sources.push(psi.source);
    }
  }
  return ok<ThermalEvidence>(
    {
      platform: host.platform,
      cpus: [],
      coolingDevices: [],
      cpuPressureSomeAvg10,
      cpuSpeedLimitPercent: null,
      thermalPressureLevel: null,
      gpuThermalSlowdown: gpus,
      sources,
    },
    `${base.source}; ${GPU_THERMAL_SOURCE}`,
    issues,
  );
}
