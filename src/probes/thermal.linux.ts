// Linux thermal evidence: Intel throttle counters, cpufreq current vs max, cooling devices, and CPU
// pressure (PSI), all read under the host's sys and proc roots. See docs/probes/thermal.md.
//
// The one decision that matters: when NONE of the throttle, cpufreq or (actionable) cooling-device
// files exist, as on most VMs, the answer is `unavailable`, never an ok value with nothing in it. An
// empty ok would read as "not throttled" to anything downstream, and the absence of the files says
// nothing about heat (../shared/reference/failure-modes.md §5.3; DOMAIN.md "Thermal").
// PSI does not change that: /proc/pressure/cpu measures contention (runnable tasks waiting for a
// CPU), not throttling (§5.3 [I]). So on a VM with PSI and nothing else the outcome is still
// `unavailable`; its reason quotes the PSI value for the reader, and the value itself is available
// as its own outcome from linuxCpuPressure(), so a rule can use contention without pretending it
// is thermal evidence.
import type { Host } from '../host/host.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { coolingDeviceCanAct, type ThermalEvidence } from '../model/thermal.js';
import {
  PROC_PRESSURE_CPU,
  SYS_COOLING_DIR,
  SYS_CPU_DIR,
  readCoolingDevices,
  readCpuPressure,
  readCpuThermal,
  type CpuPressure,
  type CpuPressureReading,
} from '../os/linux/sys-thermal.js';

const PROBE = 'thermal.linux';

function pressureSource(host: Host): string {
  return host.proc.path(PROC_PRESSURE_CPU);
}

/** `some avg10=0.80 %` for messages. */
function describePressure(p: CpuPressure): string {
  return `some avg10=${p.some.avg10.toFixed(2)} % (avg60=${p.some.avg60.toFixed(2)}, avg300=${p.some.avg300.toFixed(2)})`;
}

function pressureSentence(host: Host, r: CpuPressureReading): string {
  switch (r.kind) {
    case 'ok':
      return `${pressureSource(host)} reads ${describePressure(r.pressure)}, but that is CPU contention, not throttling`;
    case 'absent':
      return `${pressureSource(host)} is absent too (kernel before 4.20, or PSI off)`;
    case 'failed':
      return `${pressureSource(host)} could not be read (${r.message})`;
  }
}

/**
 * One sample of Linux thermal evidence.
 * ok: at least one CPU has a throttle-count or cpufreq file, or a cooling device can act
 * (max_state > 0). `cpus` lists only CPUs that have such files; counters and frequencies that are
 * absent are null (AMD and ARM have no thermal_throttle directory; many drivers no cpufreq).
 * unavailable: none of those exist (a VM, most containers without /sys passed in); the reason says so,
 * and quotes PSI when it was readable.
 */
export async function linuxThermal(host: Host): Promise<Outcome<ThermalEvidence>> {
  const cpuRoot = host.sys.path(SYS_CPU_DIR);
  const coolRoot = host.sys.path(SYS_COOLING_DIR);
  const source = `${cpuRoot}/cpu*/{thermal_throttle,cpufreq}, ${coolRoot}/cooling_device*, ${pressureSource(host)}`;
  const cpu = readCpuThermal(host.sys);
  const cooling = readCoolingDevices(host.sys);
  const psi = readCpuPressure(host.proc);
  const actionable = cooling.devices.filter(coolingDeviceCanAct);

  if (cpu.cpus.length === 0 && actionable.length === 0) {
    const inert = cooling.devices.length > 0 ? `; the ${cooling.devices.length} cooling device(s) there all report max_state 0, so they can never show cooling` : '';
    const dirErrors = [cpu.dirError, cooling.dirError].filter((e): e is string => e !== null);
    // A directory that exists but cannot be listed is not "absent": we do not know what is in it.
    if (dirErrors.length > 0) return failed(`could not list the thermal directories: ${dirErrors.join('; ')}`, source);
    return unavailable(
      `CPU thermal evidence is unavailable here: no ${cpuRoot}/cpu*/thermal_throttle, no cpu*/cpufreq and no usable ${coolRoot}/cooling_device*${inert} ` +
        `(usual on VMs and in containers). Throttling is unknown, not ruled out. ${pressureSentence(host, psi)}.`,
      source,
    );
  }

  const issues: SnapshotIssue[] = [...cpu.issues, ...cooling.issues];
  for (const e of [cpu.dirError, cooling.dirError]) if (e !== null) issues.push({ probe: PROBE, kind: 'failed', message: e });
  const sources: string[] = [];
  if (cpu.withThrottleFiles > 0) sources.push(`${cpuRoot}/cpu*/thermal_throttle/{core,package}_throttle_count`);
  if (cpu.withCpufreqFiles > 0) sources.push(`${cpuRoot}/cpu*/cpufreq/{scaling_cur_freq,cpuinfo_max_freq}`);
  if (cooling.devices.length > 0) sources.push(`${coolRoot}/cooling_device*/{type,cur_state,max_state}`);
  let cpuPressureSomeAvg10: number | null = null;
  switch (psi.kind) {
    case 'ok':
      cpuPressureSomeAvg10 = psi.pressure.some.avg10;
      sources.push(pressureSource(host));
      issues.push(...psi.issues);
      break;
    case 'absent':
      issues.push({ probe: PROBE, kind: 'unavailable', message: `${pressureSource(host)} is absent (kernel before 4.20, or PSI off): CPU contention is unknown` });
      break;
    case 'failed':
      issues.push({ probe: PROBE, kind: 'failed', message: `${pressureSource(host)}: ${psi.message}` });
      break;
  }
  return ok<ThermalEvidence>(
    {
      platform: 'linux',
      cpus: cpu.cpus,
      coolingDevices: cooling.devices,
      cpuPressureSomeAvg10,
      cpuSpeedLimitPercent: null,
      thermalPressureLevel: null,
      gpuThermalSlowdown: [],
      sources,
    },
    source,
    issues,
  );
}

/**
 * CPU pressure on its own: contention evidence (oversubscription: N workers × threads on too few
 * CPUs), for rules that want it whether or not the machine exposes thermal files.
 */
export async function linuxCpuPressure(host: Host): Promise<Outcome<CpuPressure>> {
  const source = pressureSource(host);
  const r = readCpuPressure(host.proc);
  switch (r.kind) {
    case 'ok':
      return ok(r.pressure, source, r.issues);
    case 'absent':
      return unavailable(`${source} does not exist (kernel before 4.20, CONFIG_PSI off, or psi=0 at boot)`, source);
    case 'failed':
      return failed(r.message, source);
  }
}
