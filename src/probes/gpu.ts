// GPU evidence for the platform we run on: NVIDIA through nvidia-smi on Linux, the Apple GPU through
// ioreg/footprint on macOS. See docs/probes/gpu.md for what is run and why.
import type { Host } from '../host/host.js';
import type { GpuEvidence } from '../model/gpu.js';
import type { Outcome } from '../model/outcome.js';
import { appleGpu } from './gpu.darwin.js';
import { nvidiaGpu } from './gpu.nvidia.js';
import type { GpuProbeOptions } from './types.js';

export function collectGpu(host: Host, opts: GpuProbeOptions = {}): Promise<Outcome<GpuEvidence>> {
  switch (host.platform) {
    case 'darwin':
      return appleGpu(host, opts);
    case 'linux':
      return nvidiaGpu(host, opts);
  }
}
