// `ports` for people: who holds each port, since when, their ancestry, orphaned or not.
import { splitsTraffic } from '../census/ports.js';
import type { Census, PortReport } from '../model/census.js';
import { formatAddress, formatAge, formatArgv, formatStart, truncate } from './format.js';
import type { GrpcHealth } from '../model/grpc.js';
import { grpcText } from './metrics.js';
import { renderIssues, type TextOptions } from './procs.js';

const TOPOLOGY: Record<PortReport['topology'], string> = {
  free: 'free: nothing listens',
  single: 'one socket, one owner',
  inherited: 'one socket shared by several processes (inherited: fork after bind)',
  duplicated: 'several sockets on one address (SO_REUSEPORT): the kernel splits connections between them',
  separate: 'separate sockets on different addresses',
};

export function renderPorts(census: Census, reports: PortReport[], o: TextOptions, grpc: Map<number, GrpcHealth> = new Map()): string {
  const s = o.style;
  const out: string[] = [];
  for (const r of reports) {
    let tag = r.topology === 'free' ? s.green(TOPOLOGY.free) : TOPOLOGY[r.topology];
    if (r.topology === 'duplicated') {
      tag = splitsTraffic(r)
        ? s.red(`${r.sockets.length} SEPARATE SOCKETS on one address (SO_REUSEPORT) held by different runs: an old server takes part of the traffic`)
        : `${r.sockets.length} sockets on one address (SO_REUSEPORT), all of run ${r.runs.join(', ')}: the kernel splits connections between them`;
    }
    out.push(`${s.bold(`:${r.port}`)}  ${tag}${r.heldByOrphan ? '  ' + s.red('HELD BY AN ORPHAN') : ''}`);
    const g = grpc.get(r.port);
    if (g) out.push(`  ${grpcText(g, s)}`);
    for (const sock of r.sockets) {
      out.push(`  socket ${formatAddress(sock.address, r.port)} (${sock.id})${sock.owners.length === 0 ? s.yellow('  owner not visible (another user\'s process? run as root)') : ''}`);
      for (const ow of sock.owners) {
        const flags = [ow.role ?? 'not a project process'];
        if (ow.generation !== null) flags.push(`run ${ow.generation}`);
        const orphan = ow.orphan ? ' ' + s.red('ORPHAN') : '';
        out.push(`    ${s.bold(`pid ${ow.pid}`)} ${ow.comm} (${flags.join(', ')})${orphan} fd ${ow.fd ?? '?'} user ${ow.user ?? '?'} since ${formatStart(ow.startTime, o.now)} (${formatAge(ow.startTime, o.now)} ago)`);
        const cmd = formatArgv(ow.argv, ow.comm);
        out.push(`      ${s.dim(o.wide ? cmd : truncate(cmd, Math.max(20, o.width - 6)))}`);
        const chain = ow.ancestry.map((a) => `${a.pid} ${a.comm}`).join(' ← ');
        out.push(`      ${s.dim('parents:')} ${chain || '(parent gone)'}`);
      }
    }
  }
  out.push(...renderIssues(census, s).filter((l) => !/command line of/.test(l)));
  return out.join('\n') + '\n';
}
