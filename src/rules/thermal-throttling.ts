// thermal-throttling: throttle evidence; or, where the platform gives none, high CPU with rising
// latency and no extra processes, said with its lower confidence.
import type { IntervalSummary } from '../metrics/types.js';
import { isCpuLimitingCoolingType } from '../os/linux/sys-thermal.js';
import type { EvidenceItem, Rule } from './types.js';

export interface ThermalOptions {
  /** cur/max frequency ratio below which a CPU is slowed. */
  freqRatio: number;
  /** Apple thermal pressure level that counts (2 = heavy; normal on fanless laptops, hence the trend). */
  pressureLevel: number;
  /** CPU% of the project (sum) that counts as high, for the indirect judgement. */
  highCpuPercent: number;
  /** Latency growth (last / first interval p95) that counts as rising. */
  latencyGrowth: number;
}

export const thermalThrottling: Rule<ThermalOptions> = {
  meta: {
    id: 'thermal-throttling',
    title: 'the CPU or GPU is slowed down by heat',
    severity: 'warning',
    requires: ['census'],
    stage: 'causes',
    defaultOptions: { freqRatio: 0.6, pressureLevel: 2, highCpuPercent: 150, latencyGrowth: 1.3 },
    // Judged directly from thermal evidence, or indirectly from a metrics window; with neither,
    // it is "not judged", never "no throttling".
    cannotJudge: (input) => (input.thermal.available || (input.metrics.available && input.censusBefore) ? null : `thermal: ${input.thermal.available ? '' : input.thermal.reason}; and no metrics window for the indirect judgement`),
  },
  check(input, options) {
    const evidence: EvidenceItem[] = [];
    if (input.thermal.available) {
      const { first, last } = input.thermal.value;
      for (const c of last.cpus) {
        const was = first.cpus.find((x) => x.cpu === c.cpu);
        const rose = (a: number | null | undefined, b: number | null | undefined) => a != null && b != null && b > a;
        if (rose(was?.packageThrottleCount, c.packageThrottleCount) || rose(was?.coreThrottleCount, c.coreThrottleCount)) {
          evidence.push({ source: `/sys/devices/system/cpu/cpu${c.cpu}/thermal_throttle`, text: `cpu${c.cpu} throttle counters rose during the window (package ${was?.packageThrottleCount ?? '?'} → ${c.packageThrottleCount ?? '?'}, core ${was?.coreThrottleCount ?? '?'} → ${c.coreThrottleCount ?? '?'})` });
        }
      }
      // Low clocks alone are an idle CPU saving power: they count only beside a direct sign.
      const slow = last.cpus.filter((c) => c.curFreqKHz != null && c.maxFreqKHz != null && c.curFreqKHz < c.maxFreqKHz * options.freqRatio);
      const slowEvidence: EvidenceItem[] = [];
      if (slow.length > 0 && slow.length >= last.cpus.length / 2) {
        slowEvidence.push({ source: '/sys/devices/system/cpu/cpu*/cpufreq', text: `${slow.length} of ${last.cpus.length} CPUs run below ${Math.round(options.freqRatio * 100)} % of their maximum frequency (e.g. cpu${slow[0]!.cpu}: ${slow[0]!.curFreqKHz} of ${slow[0]!.maxFreqKHz} kHz)` });
      }
      const cooling = last.coolingDevices.filter((d) => d.curState != null && d.curState > 0 && isCpuLimitingCoolingType(d.type));
      if (cooling.length > 0) evidence.push({ source: '/sys/class/thermal/cooling_device*', text: cooling.map((d) => `${d.name} (${d.type}) at state ${d.curState} of ${d.maxState ?? '?'}`).join('; ') });
      if (last.cpuSpeedLimitPercent != null && last.cpuSpeedLimitPercent < 100) evidence.push({ source: 'pmset -g therm', text: `CPU_Speed_Limit = ${last.cpuSpeedLimitPercent} %` });
      // Level 2 can be normal on a fanless laptop: it counts when it rose, or at 3 and up.
      const rosePressure = first.thermalPressureLevel != null && last.thermalPressureLevel != null && last.thermalPressureLevel > first.thermalPressureLevel;
      if (last.thermalPressureLevel != null && last.thermalPressureLevel >= options.pressureLevel && (rosePressure || last.thermalPressureLevel >= 3)) {
        evidence.push({ source: 'notifyutil -g com.apple.system.thermalpressurelevel', text: `thermal pressure level ${last.thermalPressureLevel} (0 nominal … 4)${first.thermalPressureLevel != null && last.thermalPressureLevel > first.thermalPressureLevel ? `, up from ${first.thermalPressureLevel}` : ''}` });
      }
      for (const g of last.gpuThermalSlowdown) evidence.push({ source: 'nvidia-smi clocks_event_reasons', text: `GPU ${g.index}: ${g.reasons.join(', ')}` });
      if (evidence.length > 0) evidence.push(...slowEvidence);
      if (evidence.length > 0) {
        return [{ id: 'thermal-throttling', severity: 'warning', title: 'the machine is slowed down by heat', pids: [], ports: [], evidence, fix: 'Let it cool (airflow, power), or compare a rerun after it has cooled; do not mistake it for a code change. On laptops, plug in and raise the fan or power mode.', next: ['rerun-doctor explain thermal-throttling'], confidence: 'high' }];
      }
      const direct = last.cpus.length > 0 || last.thermalPressureLevel != null || last.cpuSpeedLimitPercent != null;
      if (direct) return [];
    }
    // No direct evidence on this platform: high CPU with rising latency and no extra processes.
    if (!input.metrics.available || !input.censusBefore || !input.windowSeconds) return [];
    const samples = input.metrics.value.filter((s): s is Extract<typeof s, { ok: true }> => s.ok && s.seconds !== null);
    const latency = samples.map((s) => s.keys.find((k) => k.key === 'requestLatency')?.series[0] as IntervalSummary | undefined).filter((r): r is IntervalSummary => r?.p95 !== undefined && Number.isFinite(r.p95));
    if (latency.length < 2) return [];
    const growth = latency[latency.length - 1]!.p95! / latency[0]!.p95!;
    const before = new Map(input.censusBefore.processes.map((p) => [`${p.pid}@${p.startKey}`, p]));
    let cpu = 0;
    for (const p of input.census.processes) {
      const b = before.get(`${p.pid}@${p.startKey}`);
      if (p.role !== null && b && p.cpuSeconds !== null && b.cpuSeconds !== null) cpu += ((p.cpuSeconds - b.cpuSeconds) / input.windowSeconds) * 100;
    }
    const extra = input.census.processes.some((p) => p.orphan);
    if (growth >= options.latencyGrowth && cpu >= options.highCpuPercent && !extra) {
      return [{
        id: 'thermal-throttling',
        severity: 'warning',
        title: 'possibly thermal throttling: high CPU with rising latency and no extra processes (this platform gives no throttle counters)',
        pids: [],
        ports: [],
        evidence: [
          { source: 'GET /metrics (request latency, interval p95)', text: `request latency p95 rose ${growth.toFixed(2)}× over the window (${latency[0]!.p95!.toPrecision(3)} → ${latency[latency.length - 1]!.p95!.toPrecision(3)} ${latency[0]!.unit ?? ''})` },
          { source: '/proc/PID/stat (utime + stime over the window)', text: `the project's processes used ${cpu.toFixed(0)} % CPU` },
          { source: input.thermal.available ? 'thermal probe' : `thermal: ${input.thermal.reason}`, text: 'no throttle counters, frequencies or thermal pressure are readable here, so this is an inference' },
        ],
        fix: 'Check the machine\'s temperature and clocks with its own tools; rerun when cool and compare.',
        next: ['rerun-doctor explain thermal-throttling'],
        confidence: 'low',
      }];
    }
    return [];
  },
};
