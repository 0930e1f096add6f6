// Shared-memory evidence for the platform we run on: /dev/shm on Linux. macOS keeps POSIX
// shared-memory names in the kernel (shm_open has no directory to list, and no tool lists them),
// so there it is unavailable, with that reason.
import type { Host } from '../host/host.js';
import { unavailable, type Outcome } from '../model/outcome.js';
import type { ShmEvidence } from '../model/shm.js';
import { linuxShm, type ShmProbeOptions } from './shm.linux.js';

export const SHM_UNAVAILABLE_DARWIN = 'POSIX shared memory cannot be listed on macOS: shm_open names are kept by the kernel, with no directory or tool that lists them';

export function collectShm(host: Host, opts: ShmProbeOptions = {}): Promise<Outcome<ShmEvidence>> {
  switch (host.platform) {
    case 'darwin':
      return Promise.resolve(unavailable(SHM_UNAVAILABLE_DARWIN, 'shm_open (macOS)'));
    case 'linux':
      return linuxShm(host, opts);
  }
}
