// Listening TCP sockets held by some pids, from the census's own socket probes (one socket reader:
// /proc/net/tcp{,6} + fd tables on Linux, `lsof -w -nP -iTCP -sTCP:LISTEN -F…` on macOS).
import type { Host } from '../../host/host.js';
import { PROBES } from '../../probes/index.js';

export type { Listener } from '../../model/supervision.js';
import type { Listener } from '../../model/supervision.js';

export interface ListenersResult {
  listeners: Listener[];
  /** Why the listeners are unknown (the probe was unavailable or failed); null when they are known. */
  unknown: string | null;
}

/** Every (pid, address, port) among `pids`' listening sockets, by pid then port. */
export async function listenersOf(host: Host, pids: readonly number[]): Promise<ListenersResult> {
  if (pids.length === 0) return { listeners: [], unknown: null };
  const outcome = await PROBES.sockets[host.platform](host);
  if (outcome.status !== 'ok') return { listeners: [], unknown: `${outcome.source}: ${outcome.reason}` };
  const wanted = new Set(pids);
  const seen = new Set<string>();
  const listeners: Listener[] = [];
  for (const s of outcome.value) {
    for (const o of s.owners) {
      const key = `${o.pid} ${s.address} ${s.port}`;
      if (!wanted.has(o.pid) || seen.has(key)) continue;
      seen.add(key);
      listeners.push({ pid: o.pid, address: s.address, port: s.port });
    }
  }
  listeners.sort((a, b) => a.pid - b.pid || a.port - b.port || a.address.localeCompare(b.address));
  return { listeners, unknown: null };
}
