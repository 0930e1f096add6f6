// GPU evidence: what is in use, by whom. NVIDIA (nvidia-smi), /dev/nvidia* holders, Apple (ioreg, footprint).

export interface GpuDevice {
  index: number;
  uuid: string | null;
  name: string | null;
  /**
   * MiB in use. NVIDIA: the GPU's own memory, as nvidia-smi reports; null when unknown ([N/A]).
   * Apple (ioreg): the system memory this accelerator's driver has in use (unified memory on Apple
   * Silicon, "In use system memory"; shared system RAM on Intel/AMD, "inUseSysMemoryBytes"), never VRAM.
   */
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
  /** clocks_event_reasons (older: clocks_throttle_reasons) flags that are Active. */
  activeEventReasons: string[];
  /** Microsecond counters of the event reasons, when the driver has them (name → µs). */
  eventReasonCounters: Record<string, number>;
  /**
   * Apple, a discrete GPU in an Intel Mac (AMD, NVIDIA): its own VRAM in use, MiB (ioreg
   * "vramUsedBytes"). Dedicated memory, not unified or system memory: it is never added to
   * `memoryUsedMiB` or `inUseSystemMemoryBytes`, nor compared with their thresholds. Absent or null
   * when the accelerator reports none (every Apple Silicon GPU).
   */
  vramUsedMiB?: number | null;
}

export interface GpuProcess {
  pid: number;
  /** MiB; null when unknown ([N/A] in containers, or MPS where only the footprint tells). */
  usedMemoryMiB: number | null;
  gpuUuid: string | null;
  /** Where this came from: 'nvidia-smi', '/dev/nvidia*' (an fd holder nvidia-smi did not list), 'footprint'. */
  source: string;
  /**
   * macOS (footprint): the process's whole physical footprint, MiB (footprint's header figure,
   * phys_footprint): the memory it costs the machine, Metal/MPS buffers included, which RSS is not.
   * Absent elsewhere.
   */
  footprintMiB?: number;
}

export interface GpuEvidence {
  vendor: 'nvidia' | 'apple';
  devices: GpuDevice[];
  processes: GpuProcess[];
  /**
   * Apple: system memory in use by the GPU drivers, bytes, summed over the accelerators
   * (PerformanceStatistics "In use system memory" on Apple Silicon, "inUseSysMemoryBytes" on
   * Intel/AMD). Discrete VRAM (`GpuDevice.vramUsedMiB`) is not in it.
   */
  inUseSystemMemoryBytes?: number | null;
  /**
   * Apple: sysctl kern.memorystatus_vm_pressure_level, in documents from before 0.1 moved it to the
   * memory part (`MemoryEvidence.pressureLevel`, read once by src/probes/memory.ts). Not collected here any more.
   */
  memoryPressureLevel?: number | null;
  driverVersion: string | null;
  /**
   * NVIDIA: processes nvidia-smi lists whose pids are not in the /proc read (the driver names the
   * host's pids; from inside a container that does not see them, they are no process here). Never
   * matched to a process by number; `processes` has the /dev/nvidia* holders instead. Absent when
   * every listed pid is here (and in older documents).
   */
  unseenProcesses?: GpuProcess[];
  /** The commands and files read, for the evidence trail. */
  sources: string[];
}

/**
 * What to do about a process that survived SIGKILL in uninterruptible sleep (D) while holding a GPU:
 * the kernel or the NVIDIA driver holds it inside a call, a signal is delivered only when that call
 * returns, so more signals do nothing. Shared by the `unkillable` rule and clean's report.
 */
export function unkillableAdvice(gpu: string | null, holdsGpu: boolean | null): string {
  if (holdsGpu === false) return 'it is stuck in the kernel (a disk, NFS or a driver call): more signals do nothing; it ends when that call returns, or with a reboot';
  return `the NVIDIA driver (or the kernel) holds it inside a call: more signals do nothing. Once no other process uses the GPU, reset it with \`nvidia-smi --gpu-reset -i ${gpu ?? 'N'}\` (root); if the reset fails or the process stays, reboot`;
}
