// port-shared: two or more separate sockets on one address (SO_REUSEPORT): an old server takes
// part of the traffic. grpcio sets SO_REUSEPORT by default, so a rerun's bind succeeds silently.
import { splitsTraffic } from '../census/ports.js';
import type { Finding } from '../model/diagnosis.js';
import { sortNum } from './lib/evidence.js';
import { report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type Rule } from './types.js';

export const portShared: Rule = {
  meta: {
    id: 'port-shared',
    title: 'several sockets listen on one port (SO_REUSEPORT)',
    severity: 'error',
    requires: ['census', 'ports'],
    stage: 'orphans',
    messages: { split: ':{{port}} has {{sockets}} separate sockets held by different runs: connections are split between old and new servers' },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    const findings: Finding[] = [];
    const src = sourcesFor(input.platform);
    for (const r of input.ports) {
      if (!splitsTraffic(r)) continue;
      const owners = r.sockets.flatMap((s) => s.owners);
      findings.push(
        report(portShared.meta, 'split', { port: r.port, sockets: r.sockets.length }, {
          severity: 'error',
          pids: sortNum(owners.map((o) => o.pid)),
          ports: [r.port],
          evidence: r.sockets.map((s) => ({ source: src.sockets, text: `${s.address}:${r.port} socket ${s.id}: ${s.owners.map((o) => `pid ${o.pid}${o.orphan ? ' (orphan)' : ''} run ${o.generation ?? '?'}`).join(', ') || 'owner not visible'}` })),
          fix: 'Bind the gRPC port with options=[("grpc.so_reuseport", 0)] so a second server fails loudly instead of sharing the port, and end the old server.',
          next: ['rerun-doctor explain port-shared', `rerun-doctor ports ${r.port}`],
          confidence: 'high',
        }),
      );
    }
    return findings;
  },
};
