// GPU evidence for the platform we run on: NVIDIA through nvidia-smi on Linux, the Apple GPU through
// ioreg/footprint on macOS. See docs/probes/gpu.md for what is run and why.
import type { Host } from '../host/host.js';
import type { GpuEvidence } from '../model/gpu.js';
import type { Outcome } from '../model/outcome.js';
import { appleGpu } from './gpu.darwin.js';
import { nvidiaGpu } from './gpu.nvidia.js';

export interface GpuProbeOptions {
  /**
   * The suspect pids (a run's processes, its orphans). NVIDIA: when nvidia-smi lists no compute
   * process, only these pids' fd tables are searched for /dev/nvidia* (default: every pid).
   * Apple: `footprint` runs for these pids only (default: none; it is slow and needs root for
   * other users' processes).
   */
  pids?: number[];
}

export function collectGpu(host: Host, opts: GpuProbeOptions = {}): Promise<Outcome<GpuEvidence>> {
  switch (host.platform) {
    case 'darwin':
      return appleGpu(host, opts);
    case 'linux':
      return nvidiaGpu(host, opts);
  }
}
