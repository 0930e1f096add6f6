// GPU evidence: what is in use, by whom. NVIDIA (nvidia-smi), /dev/nvidia* holders, Apple (ioreg, footprint).

export interface GpuDevice {
  index: number;
  uuid: string | null;
  name: string | null;
  /** MiB, as nvidia-smi reports; null when unknown ([N/A]). */
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
  /** clocks_event_reasons (older: clocks_throttle_reasons) flags that are Active. */
  activeEventReasons: string[];
  /** Microsecond counters of the event reasons, when the driver has them (name → µs). */
  eventReasonCounters: Record<string, number>;
}

export interface GpuProcess {
  pid: number;
  /** MiB; null when unknown ([N/A] in containers, or MPS where only the footprint tells). */
  usedMemoryMiB: number | null;
  gpuUuid: string | null;
  /** Where this came from: 'nvidia-smi', '/dev/nvidia*' (an fd holder nvidia-smi did not list), 'footprint'. */
  source: string;
}

export interface GpuEvidence {
  vendor: 'nvidia' | 'apple';
  devices: GpuDevice[];
  processes: GpuProcess[];
  /** Apple: IOAccelerator PerformanceStatistics "In use system memory", bytes (system-wide). */
  inUseSystemMemoryBytes?: number | null;
  /** Apple: sysctl kern.memorystatus_vm_pressure_level (1 normal, 2 warn, 4 critical). */
  memoryPressureLevel?: number | null;
  driverVersion: string | null;
  /** The commands and files read, for the evidence trail. */
  sources: string[];
}
