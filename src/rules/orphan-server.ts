// orphan-server: a watched port held by a server whose launcher is gone, or by a server of an
// earlier run while a newer one runs (DOMAIN.md: "ports still held by Python processes after stopping").
import { describeProc, sortNum } from './lib/evidence.js';
import type { Finding, Rule } from './types.js';

export const orphanServer: Rule = {
  meta: { id: 'orphan-server', title: 'a watched port is held by an orphaned or earlier server', severity: 'error', requires: ['census', 'ports'], stage: 'orphans', defaultOptions: {} },
  check(input) {
    const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
    const current = input.census.generations.find((g) => g.status === 'current')?.id ?? null;
    const findings: Finding[] = [];
    for (const port of input.ports) {
      if (!port.watched) continue;
      const culprits = new Map<number, string>();
      for (const s of port.sockets) {
        for (const o of s.owners) {
          const p = byPid.get(o.pid);
          if (!p || p.role !== 'server') continue;
          if (p.orphan) culprits.set(p.pid, `orphaned: ${p.orphanReason ?? ''}`);
          else if (current !== null && p.generation !== null && p.generation !== current) culprits.set(p.pid, `a server of run ${p.generation}, while run ${current} is the current one`);
        }
      }
      if (culprits.size === 0) continue;
      const pids = sortNum(culprits.keys());
      findings.push({
        id: 'orphan-server',
        severity: 'error',
        title: `:${port.port} is held by ${pids.length === 1 ? 'an orphaned server' : `${pids.length} orphaned servers`} (${pids.join(', ')})`,
        pids,
        ports: [port.port],
        evidence: [
          ...pids.map((pid) => ({ source: `/proc/net/tcp{,6} + /proc/${pid}/fd`, text: `${describeProc(byPid.get(pid)!)}: ${culprits.get(pid)}` })),
          ...(port.topology === 'duplicated' ? [{ source: '/proc/net/tcp{,6}', text: `${port.sockets.length} sockets listen on :${port.port} (SO_REUSEPORT): a rerun binds it too and the kernel splits connections with the old server` }] : []),
        ],
        fix: `End the old server (and its workers) before the rerun; make the server stop its gRPC server and workers on SIGTERM, and set grpc.so_reuseport to 0 so a second server fails loudly.`,
        next: ['rerun-doctor clean', 'rerun-doctor explain orphan-server'],
        confidence: 'high',
      });
    }
    return findings;
  },
};
