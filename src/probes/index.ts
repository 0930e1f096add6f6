// The probe registry: one entry per evidence kind and platform.
import type { Platform } from '../model/snapshot.js';
import { darwinProcesses } from './processes.darwin.js';
import { linuxProcesses } from './processes.linux.js';
import { darwinSockets } from './sockets.darwin.js';
import { linuxSockets } from './sockets.linux.js';
import type { ProcessProbe, SocketProbe } from './types.js';

export const PROBES = {
  processes: { linux: linuxProcesses, darwin: darwinProcesses },
  sockets: { linux: linuxSockets, darwin: darwinSockets },
} as const satisfies { processes: Record<Platform, ProcessProbe>; sockets: Record<Platform, SocketProbe> };

export type ProbeKind = keyof typeof PROBES;
