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
  /** NVIDIA: GPUs with a thermal slowdown reason active. */
  gpuThermalSlowdown: Array<{ index: number; reasons: string[] }>;
  /** Where each value came from. */
  sources: string[];
}
