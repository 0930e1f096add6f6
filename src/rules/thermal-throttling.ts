// thermal-throttling: throttle evidence; or, where the platform gives none, high CPU with rising
// latency and no extra processes, said with its lower confidence.
import type { IntervalSummary } from '../model/metrics-summary.js';
import type { EvidenceItem } from '../model/diagnosis.js';
import { isCpuLimitingCoolingType } from '../model/thermal.js';
import { report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import type { Rule } from './types.js';

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

/** kIOPMThermalLevelUnknown (IOPM.h): the platform does not know, which is no evidence. */
const THERMAL_WARNING_UNKNOWN = 255;
const THERMAL_WARNING_NAMES: Readonly<Record<number, string>> = { 5: 'danger', 10: 'critical', 100: 'warning', 110: 'trap' };

function thermalWarningName(level: number): string {
  return THERMAL_WARNING_NAMES[level] ?? 'a platform level';
}

export const thermalThrottling: Rule<ThermalOptions> = {
  meta: {
    id: 'thermal-throttling',
    title: 'the CPU or GPU is slowed down by heat',
    severity: 'warning',
    requires: ['census'],
    stage: 'causes',
    messages: {
      throttled: 'the machine is slowed down by heat',
      performanceWarning: 'macOS reports restricted performance (pmset Performance Warning Level {{level}}): heat, or a power limit',
      inferred: 'possibly thermal throttling: high CPU with rising latency and no extra processes (this platform gives no throttle counters)',
    },
    defaultOptions: { freqRatio: 0.6, pressureLevel: 2, highCpuPercent: 150, latencyGrowth: 1.3 },
    schema: {
      type: 'object',
      properties: {
        freqRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'current/maximum CPU frequency below which a CPU counts as slowed (only beside a direct sign)' },
        pressureLevel: { type: 'integer', minimum: 0, maximum: 4, description: 'Apple thermal pressure level that counts (when it rose, or at 3 and up)' },
        highCpuPercent: { type: 'number', minimum: 0, description: "the project's CPU use (percent of one core, summed) that counts as high, for the indirect judgement" },
        latencyGrowth: { type: 'number', exclusiveMinimum: 1, description: 'growth of the request latency p95 over the window (last / first interval) that counts as rising' },
      },
      additionalProperties: false,
    },
    // Judged directly from thermal evidence, or indirectly from a metrics window; with neither,
    // it is "not judged", never "no throttling".
    cannotJudge: (input) => (input.thermal.status === 'ok' || (input.metrics.status === 'ok' && input.censusBefore) ? null : { because: input.thermal.status === 'failed' ? 'failed' : 'unavailable', reason: `thermal: ${input.thermal.reason}; and no metrics window for the indirect judgement` }),
  },
  check(input, options) {
    const src = sourcesFor(input.platform);
    const evidence: EvidenceItem[] = [];
    if (input.thermal.status === 'ok') {
      const { first, last } = input.thermal.value;
      for (const c of last.cpus) {
        const was = first.cpus.find((x) => x.cpu === c.cpu);
        const rose = (a: number | null | undefined, b: number | null | undefined) => a != null && b != null && b > a;
        if (rose(was?.packageThrottleCount, c.packageThrottleCount) || rose(was?.coreThrottleCount, c.coreThrottleCount)) {
          evidence.push({ source: src.cpuThrottle(c.cpu), text: `cpu${c.cpu} throttle counters rose during the window (package ${was?.packageThrottleCount ?? '?'} → ${c.packageThrottleCount ?? '?'}, core ${was?.coreThrottleCount ?? '?'} → ${c.coreThrottleCount ?? '?'})` });
        }
      }
      // Low clocks alone are an idle CPU saving power: they count only beside a direct sign.
      const slow = last.cpus.filter((c) => c.curFreqKHz != null && c.maxFreqKHz != null && c.curFreqKHz < c.maxFreqKHz * options.freqRatio);
      const slowEvidence: EvidenceItem[] = [];
      if (slow.length > 0 && slow.length >= last.cpus.length / 2) {
        slowEvidence.push({ source: src.cpuFrequency, text: `${slow.length} of ${last.cpus.length} CPUs run below ${Math.round(options.freqRatio * 100)} % of their maximum frequency (e.g. cpu${slow[0]!.cpu}: ${slow[0]!.curFreqKHz} of ${slow[0]!.maxFreqKHz} kHz)` });
      }
      const cooling = last.coolingDevices.filter((d) => d.curState != null && d.curState > 0 && isCpuLimitingCoolingType(d.type));
      if (cooling.length > 0) evidence.push({ source: src.cooling, text: cooling.map((d) => `${d.name} (${d.type}) at state ${d.curState} of ${d.maxState ?? '?'}`).join('; ') });
      if (last.cpuSpeedLimitPercent != null && last.cpuSpeedLimitPercent < 100) evidence.push({ source: 'pmset -g therm', text: `CPU_Speed_Limit = ${last.cpuSpeedLimitPercent} %` });
      // Level 2 can be normal on a fanless laptop: it counts when it rose, or at 3 and up.
      const rosePressure = first.thermalPressureLevel != null && last.thermalPressureLevel != null && last.thermalPressureLevel > first.thermalPressureLevel;
      if (last.thermalPressureLevel != null && last.thermalPressureLevel >= options.pressureLevel && (rosePressure || last.thermalPressureLevel >= 3)) {
        evidence.push({ source: 'notifyutil -g com.apple.system.thermalpressurelevel', text: `thermal pressure level ${last.thermalPressureLevel} (0 nominal … 4)${first.thermalPressureLevel != null && last.thermalPressureLevel > first.thermalPressureLevel ? `, up from ${first.thermalPressureLevel}` : ''}` });
      }
      // macOS Intel: the platform's own thermal warning (pmset -g therm). Any recorded level but 0
      // (normal) and 255 (unknown) is the OS saying heat constrains the machine.
      const thermalWarning = last.thermalWarningLevel;
      if (thermalWarning != null && thermalWarning !== 0 && thermalWarning !== THERMAL_WARNING_UNKNOWN) {
        evidence.push({ source: 'pmset -g therm', text: `Thermal Warning Level = ${thermalWarning} (${thermalWarningName(thermalWarning)}; 0 is normal)` });
      }
      for (const g of last.gpuThermalSlowdown) evidence.push({ source: 'nvidia-smi clocks_event_reasons', text: `GPU ${g.index}: ${g.reasons.join(', ')}` });
      // A performance warning restricts performance for heat OR power: beside a heat sign it is
      // more evidence; alone it is reported with low confidence, as a performance warning.
      const perfWarning = last.performanceWarningLevel;
      const perfEvidence: EvidenceItem[] = perfWarning != null && perfWarning !== 0 ? [{ source: 'pmset -g therm', text: `Performance Warning Level = ${perfWarning} (0 is normal, 100 warning)` }] : [];
      if (evidence.length > 0) evidence.push(...perfEvidence, ...slowEvidence);
      if (evidence.length > 0) {
        return [report(thermalThrottling.meta, 'throttled', {}, { severity: 'warning', pids: [], ports: [], evidence, fix: 'Let it cool (airflow, power), or compare a rerun after it has cooled; do not mistake it for a code change. On laptops, plug in and raise the fan or power mode.', next: ['rerun-doctor explain thermal-throttling'], confidence: 'high' })];
      }
      if (perfEvidence.length > 0) {
        return [report(thermalThrottling.meta, 'performanceWarning', { level: String(perfWarning) }, { severity: 'warning', pids: [], ports: [], evidence: [...perfEvidence, ...slowEvidence], fix: 'Plug in (a low or weak power adapter limits performance too), let the machine cool, and compare a rerun once `pmset -g therm` shows no warning level.', next: ['rerun-doctor explain thermal-throttling'], confidence: 'low' })];
      }
      const direct = last.cpus.length > 0 || last.thermalPressureLevel != null || last.cpuSpeedLimitPercent != null || last.thermalWarningLevel != null || last.performanceWarningLevel != null;
      if (direct) return [];
    }
    // No direct evidence on this platform: high CPU with rising latency and no extra processes.
    if (input.metrics.status !== 'ok' || !input.censusBefore || !input.windowSeconds) return [];
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
      return [report(thermalThrottling.meta, 'inferred', {}, {
        severity: 'warning',
        pids: [],
        ports: [],
        evidence: [
          { source: 'GET /metrics (request latency, interval p95)', text: `request latency p95 rose ${growth.toFixed(2)}× over the window (${latency[0]!.p95!.toPrecision(3)} → ${latency[latency.length - 1]!.p95!.toPrecision(3)} ${latency[0]!.unit ?? ''})` },
          { source: src.cpuTime, text: `the project's processes used ${cpu.toFixed(0)} % CPU` },
          { source: input.thermal.status === 'ok' ? 'thermal probe' : `thermal: ${input.thermal.reason}`, text: 'no throttle counters, frequencies or thermal pressure are readable here, so this is an inference' },
        ],
        fix: 'Check the machine\'s temperature and clocks with its own tools; rerun when cool and compare.',
        next: ['rerun-doctor explain thermal-throttling'],
        confidence: 'low',
      })];
    }
    return [];
  },
};
