// Thermal evidence. "Unavailable" (most VMs have no thermal files) is not "not throttled".

export interface CpuThrottle {
  cpu: number;
  /** /sys/devices/system/cpu/cpuN/thermal_throttle/{core,package}_throttle_count. */
  coreThrottleCount: number | null;
  packageThrottleCount: number | null;
  /** kHz, cpufreq scaling_cur_freq and cpuinfo_max_freq. */
  curFreqKHz: number | null;
  maxFreqKHz: number | null;
}

export interface CoolingDevice {
  name: string;
  type: string;
  curState: number | null;
  maxState: number | null;
}

export interface ThermalEvidence {
  platform: 'linux' | 'darwin';
  /** Linux per-CPU counters and frequencies; empty where the files do not exist. */
  cpus: CpuThrottle[];
  coolingDevices: CoolingDevice[];
  /** /proc/pressure/cpu "some avg10" (percent): contention, not throttling. */
  cpuPressureSomeAvg10: number | null;
  /** macOS Intel: pmset -g therm CPU_Speed_Limit (percent); null where not reported (Apple Silicon). */
  cpuSpeedLimitPercent: number | null;
  /** macOS: notifyutil -g com.apple.system.thermalpressurelevel (0 nominal … 4). */
  thermalPressureLevel: number | null;
  /**
   * macOS: pmset -g therm `Thermal Warning Level` (0 normal, 5 danger, 10 critical, 100 warning,
   * 110 trap, 255 unknown); null or absent when none is recorded (Apple Silicon, and documents
   * collected before it was read).
   */
  thermalWarningLevel?: number | null;
  /** macOS: pmset -g therm `Performance Warning Level` (0 normal, 100 warning); null or absent when none is recorded. */
  performanceWarningLevel?: number | null;
  /** NVIDIA: GPUs with a thermal slowdown reason active. */
  gpuThermalSlowdown: Array<{ index: number; reasons: string[] }>;
  /** Where each value came from. */
  sources: string[];
}

/**
 * Cooling device types that act by slowing the CPU (so cur_state > 0 is throttling), as opposed to a
 * fan (cur_state > 0 = spinning: cooling, not slowing) or "LCD" (ACPI video backlight).
 * "Processor": drivers/acpi/processor_thermal.c (ACPI passive cooling via P/T-state limits);
 * "intel_powerclamp": forced idle injection; "TCC Offset": Intel TCC cooling (lower throttle
 * temperature); names containing "cpufreq" (ARM and DT platforms' cpufreq cooling,
 * "cpufreq-cpu0" / older "thermal-cpufreq-0"); "thermal-idle-*": cpuidle cooling.
 */
export function isCpuLimitingCoolingType(type: string): boolean {
  return type === 'Processor' || type === 'intel_powerclamp' || type === 'TCC Offset' || /cpufreq/i.test(type) || /^thermal-idle/.test(type);
}

/**
 * A device that can express cooling at all. Hypervisors' ACPI tables often give each vCPU a
 * "Processor" cooling device with max_state 0 [I: seen on KVM guests, not verified here]; such a
 * device can never leave state 0, so it is no evidence either way.
 */
export function coolingDeviceCanAct(d: CoolingDevice): boolean {
  return (d.maxState ?? 0) > 0 || (d.curState ?? 0) > 0;
}
