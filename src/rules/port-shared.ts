// port-shared: two or more separate sockets on one address (SO_REUSEPORT): an old server takes
// part of the traffic. grpcio sets SO_REUSEPORT by default, so a rerun's bind succeeds silently.
import { sortNum } from './lib/evidence.js';
import type { Finding, Rule } from './types.js';

export const portShared: Rule = {
  meta: { id: 'port-shared', title: 'several sockets listen on one port (SO_REUSEPORT)', severity: 'error', requires: ['census', 'ports'], stage: 'orphans', defaultOptions: {} },
  check(input) {
    const findings: Finding[] = [];
    for (const r of input.ports) {
      if (r.topology !== 'duplicated') continue;
      const owners = r.sockets.flatMap((s) => s.owners);
      // Sockets of one live run are a multi-process server by design (each worker binds the port):
      // only sockets of different runs, or of orphans or unknown processes, split the traffic.
      // (All sockets held by one run's orphans: nothing new shares the port; orphan-workers says it.)
      const mixed = r.runs.length > 1 || (owners.some((o) => o.orphan) && owners.some((o) => !o.orphan)) || owners.some((o) => o.generation === null);
      if (!mixed) continue;
      findings.push({
        id: 'port-shared',
        severity: 'error',
        title: `:${r.port} has ${r.sockets.length} separate sockets held by different runs: connections are split between old and new servers`,
        pids: sortNum(owners.map((o) => o.pid)),
        ports: [r.port],
        evidence: r.sockets.map((s) => ({ source: r.sockets[0]!.id.startsWith('inode:') ? '/proc/net/tcp{,6}' : 'lsof -F', text: `${s.address}:${r.port} socket ${s.id}: ${s.owners.map((o) => `pid ${o.pid}${o.orphan ? ' (orphan)' : ''} run ${o.generation ?? '?'}`).join(', ') || 'owner not visible'}` })),
        fix: 'Bind the gRPC port with options=[("grpc.so_reuseport", 0)] so a second server fails loudly instead of sharing the port, and end the old server.',
        next: ['rerun-doctor explain port-shared', `rerun-doctor ports ${r.port}`],
        confidence: 'high',
      });
    }
    return findings;
  },
};
