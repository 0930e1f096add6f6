// port-held: what a dead run still listens on beyond the watched ports (torch.distributed's
// MASTER_PORT, 29500 by default; a ZMQ ipc:// or gRPC unix: socket), socket files nothing listens
// on any more (the next bind() on them fails with EADDRINUSE), and ports docker-proxy publishes for
// a container (stopped with `docker stop`, never by signalling the proxy). The watched ports stay
// with orphan-server, so nothing is said twice. docs/rules/port-held.md.
import { dockerProxyArgs, isDockerProxy } from '../census/docker-proxy.js';
import type { ClassifiedProcess, Generation } from '../model/census.js';
import type { EvidenceItem, Finding } from '../model/diagnosis.js';
import type { SocketFile } from '../model/socket-files.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type DiagnosisInput, type Rule } from './types.js';

/** torch.distributed's default rendezvous port (TCPStore), when MASTER_PORT is not set. */
export const TORCH_DEFAULT_PORT = 29500;
/** At most this many listeners or files are named one per line; the rest are counted. */
const MAX_LINES = 20;

const UNIX_SOURCE = '/proc/net/unix';

/** Dead and not running on purpose: orphaned, or detached beside a newer run (or left by the run check/rerun stopped). */
function deadRun(run: Generation, own: Set<number>): boolean {
  if (run.scope !== 'project') return false;
  return run.status === 'orphaned' || (run.status === 'detached' && (run.shadowed || run.pids.some((p) => own.has(p))));
}

const who = (p: ClassifiedProcess | undefined, pid: number) => (p ? `pid ${pid} (${p.role ?? 'process'}/${p.kind ?? '-'}${p.orphan ? ', orphan' : ''})` : `pid ${pid}`);

/** What a TCP port is to the run: torch.distributed's MASTER_PORT, its default, or nothing known. */
function tcpLabel(port: number, members: ClassifiedProcess[]): string {
  if (members.some((m) => m.env?.MASTER_PORT === String(port))) return ' (torch.distributed: its MASTER_PORT)';
  if (port === TORCH_DEFAULT_PORT) return " (torch.distributed's default MASTER_PORT)";
  return '';
}

/**
 * multiprocessing's own listeners (the forkserver's, a Manager's): a fresh random name per run in
 * its temporary directory (`/tmp/pymp-XXXX/listener-XXXX`), or an abstract `@listener-PID-N` where
 * Python uses abstract sockets. The next run never binds that name: nothing to hold up a rerun.
 * The orphans that hold them are orphan-workers' findings already.
 */
export function isMultiprocessingListener(path: string): boolean {
  return /\/pymp-[^/]+\/listener-[^/]+$/.test(path) || /^@listener-\d+-\d+$/.test(path);
}

/** What a unix path is to the run: a ZMQ ipc:// endpoint or a gRPC unix: address it names. */
function unixLabel(path: string, members: ClassifiedProcess[]): string {
  const texts = members.flatMap((m) => [...m.argv, ...Object.values(m.env ?? {})]);
  if (texts.some((t) => t.includes(`ipc://${path}`))) return ' (ZMQ ipc://)';
  if (texts.some((t) => t.includes(`unix:${path}`) || t.includes(`unix://${path}`))) return ' (gRPC unix:)';
  return path.startsWith('@') ? ' (abstract: no file)' : '';
}

const nameList = (names: string[]) => (names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);

function deadRunFindings(input: DiagnosisInput): Finding[] {
  const src = sourcesFor(input.platform);
  const watched = new Set(input.ports.filter((r) => r.watched).map((r) => r.port));
  const own = new Set(input.ownLeftovers);
  const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
  const findings: Finding[] = [];
  for (const run of input.census.generations) {
    if (!deadRun(run, own)) continue;
    const members = input.census.processes.filter((p) => p.generation === run.id);
    const inRun = (pid: number) => {
      const p = byPid.get(pid);
      return p !== undefined && p.generation === run.id && !p.zombie && !isDockerProxy(p);
    };
    const evidence: EvidenceItem[] = [];
    const names: string[] = [];
    const pids: number[] = [];
    const ports: number[] = [];
    for (const s of input.census.snapshot.sockets) {
      if (watched.has(s.port)) continue; // orphan-server's
      const holders = s.owners.filter((o) => inRun(o.pid));
      if (holders.length === 0) continue;
      const at = s.family === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
      names.push(at);
      ports.push(s.port);
      pids.push(...holders.map((o) => o.pid));
      evidence.push({ source: s.source, text: `${at}${tcpLabel(s.port, members)} listens, held by ${holders.map((o) => who(byPid.get(o.pid), o.pid)).join(', ')}` });
    }
    for (const u of input.census.snapshot.unixSockets ?? []) {
      if (isMultiprocessingListener(u.path)) continue;
      const holders = u.owners.filter((o) => inRun(o.pid));
      if (holders.length === 0) continue;
      names.push(u.path);
      pids.push(...holders.map((o) => o.pid));
      evidence.push({ source: u.source, text: `unix ${u.type} socket ${u.path}${unixLabel(u.path, members)} listens, held by ${holders.map((o) => who(byPid.get(o.pid), o.pid)).join(', ')}` });
    }
    if (names.length === 0) continue;
    const shown = evidence.slice(0, MAX_LINES);
    if (evidence.length > MAX_LINES) shown.push({ source: src.sockets, text: `and ${plural(evidence.length - MAX_LINES, 'more listener')} of the run` });
    shown.unshift({ source: 'run status', text: `run ${run.id} (${run.status}${run.shadowed ? ', a newer run of the project beside it' : ''}): ${run.statusReason}` });
    const files = input.census.snapshot.unixSockets?.some((u) => !u.abstract && !isMultiprocessingListener(u.path) && u.owners.some((o) => inRun(o.pid)));
    findings.push(
      report(portHeld.meta, 'held', { run: run.id, listeners: plural(names.length, 'listener'), names: nameList(names) }, {
        severity: 'error',
        pids: sortNum(pids),
        ports: sortNum(ports),
        evidence: shown,
        fix:
          `End the dead run (rerun-doctor clean): its processes still listen, so the next run's bind() on these addresses fails with EADDRINUSE (torch.distributed: "address already in use" from its TCPStore) or, with SO_REUSEPORT, shares them. In the server: end the workers with their parent, and call destroy_process_group() / close the ZMQ context on shutdown.` +
          (files ? ' A unix socket file stays on disk after its process ends: unlink it before bind() in the server (rerun-doctor reports the stale ones and never deletes them).' : ''),
        next: ['rerun-doctor clean --dry-run', 'rerun-doctor explain port-held'],
        confidence: 'high',
      }),
    );
  }
  return findings;
}

/** Ports the project's processes name: MASTER_PORT, `--port N` / `--port=N` in their argv. */
function namedPorts(input: DiagnosisInput): Set<number> {
  const out = new Set<number>();
  for (const p of input.census.processes) {
    if (p.generation === null) continue;
    const run = input.census.generations.find((g) => g.id === p.generation);
    if (run?.scope !== 'project') continue;
    if (p.env?.MASTER_PORT && /^\d+$/.test(p.env.MASTER_PORT)) out.add(Number(p.env.MASTER_PORT));
    for (let i = 0; i < p.argv.length; i++) {
      const m = /^--?[a-z-]*port(?:=(\d+))?$/.exec(p.argv[i]!);
      if (!m) continue;
      const v = m[1] ?? p.argv[i + 1];
      if (v && /^\d+$/.test(v)) out.add(Number(v));
    }
  }
  return out;
}

function dockerProxyFindings(input: DiagnosisInput): Finding[] {
  const watched = new Set(input.ports.filter((r) => r.watched).map((r) => r.port));
  const named = namedPorts(input);
  const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
  const byPort = new Map<number, Array<{ p: ClassifiedProcess; address: string; source: string }>>();
  for (const s of input.census.snapshot.sockets) {
    if (!watched.has(s.port) && !named.has(s.port)) continue;
    for (const o of s.owners) {
      const p = byPid.get(o.pid);
      if (!p || !isDockerProxy(p)) continue;
      const list = byPort.get(s.port) ?? [];
      if (!list.some((x) => x.p.pid === p.pid && x.address === s.address)) list.push({ p, address: s.address, source: s.source });
      byPort.set(s.port, list);
    }
  }
  const findings: Finding[] = [];
  for (const [port, holders] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const first = holders[0]!;
    const a = dockerProxyArgs(first.p.argv);
    const container = a.containerIp !== null || a.containerPort !== null ? `${a.containerIp ?? '?'}:${a.containerPort ?? '?'}` : 'unknown (its argv names no -container-ip/-container-port)';
    const evidence: EvidenceItem[] = holders.map((h) => ({
      source: h.source,
      text: `${h.address}:${port} is held by docker-proxy pid ${h.p.pid} (${h.p.argv.join(' ') || h.p.comm}): host side ${a.hostIp ?? h.address}:${a.hostPort ?? port}/${a.proto ?? 'tcp'}, container side ${container}`,
    }));
    evidence.push({ source: 'port-held', text: `${watched.has(port) ? 'a watched port' : 'named by a process of the project (MASTER_PORT or --port)'}: the next run cannot bind it while the container publishes it` });
    findings.push(
      report(portHeld.meta, 'dockerProxy', { port, pid: first.p.pid, container }, {
        severity: 'warning',
        pids: sortNum(holders.map((h) => h.p.pid)),
        ports: [port],
        evidence,
        fix: `A container publishes :${port} (docker run -p ${port}:…). Find it with \`docker ps --filter publish=${port}\` and stop it with \`docker stop <container>\`, or give your server another port. Never kill docker-proxy: dockerd owns it (rerun-doctor clean never ends it).`,
        next: [`docker ps --filter publish=${port}`, 'docker stop <container>', 'rerun-doctor explain port-held'],
        confidence: a.containerPort !== null ? 'high' : 'low',
      }),
    );
  }
  return findings;
}

const under = (path: string, root: string | null) => root !== null && (path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`));

function staleFileFindings(input: DiagnosisInput): Finding[] {
  if (input.socketFiles.status !== 'ok') return [];
  const stale = input.socketFiles.value.files.filter((f) => f.state === 'refused');
  if (stale.length === 0) return [];
  const root = input.census.projectRoot;
  // The project's: named by one of its processes, or in its directory. Others (a stale socket in /tmp) are noted, not warned about.
  const ours = (f: SocketFile) => f.namedBy.length > 0 || under(f.path, root);
  const warn = stale.some(ours);
  const listed = [...stale.filter(ours), ...stale.filter((f) => !ours(f))];
  const evidence: EvidenceItem[] = listed.slice(0, MAX_LINES).map((f) => ({ source: f.source, text: `${f.path} (socket file, uid ${f.uid}, bound ${f.mtime}; ${f.why}): no listening socket has this path in ${UNIX_SOURCE}, and connect() is refused: nothing is bound to it` }));
  if (listed.length > MAX_LINES) evidence.push({ source: 'socket files', text: `and ${plural(listed.length - MAX_LINES, 'more stale socket file')}` });
  const paths = listed.map((f) => f.path);
  const rm = paths.slice(0, 5).map((p) => `rm ${/[^\w@%+=:,./-]/.test(p) ? `'${p.replace(/'/g, "'\\''")}'` : p}`);
  return [
    report(portHeld.meta, 'staleSocketFiles', { files: plural(stale.length, 'unix socket file'), names: nameList(paths) }, {
      severity: warn ? 'warning' : 'info',
      pids: sortNum(listed.flatMap((f) => f.namedBy)),
      ports: [],
      evidence,
      fix: `Nothing listens on ${stale.length === 1 ? 'it' : 'them'} any more (a socket file stays after its process ends), and the next bind() on ${stale.length === 1 ? 'its path' : 'these paths'} fails with EADDRINUSE. Remove ${stale.length === 1 ? 'it' : 'them'} (${rm.join('; ')}${paths.length > 5 ? '; …' : ''}): rerun-doctor never deletes them. In the server: unlink a stale socket file before bind(), or use an abstract name (Linux).`,
      next: [...rm.slice(0, 3), 'rerun-doctor explain port-held'],
      confidence: 'high',
    }),
  ];
}

export const portHeld: Rule = {
  meta: {
    id: 'port-held',
    title: 'TCP and unix listeners of dead runs beyond the watched ports, stale socket files, ports docker-proxy publishes',
    severity: 'error',
    requires: ['census'],
    stage: 'orphans',
    messages: {
      held: 'dead run {{run}} still holds {{listeners}} beyond the watched ports: {{names}}',
      dockerProxy: ':{{port}} is published by docker-proxy {{pid}} for container {{container}}',
      staleSocketFiles: '{{files}} nothing listens on: {{names}}',
    },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    return [...deadRunFindings(input), ...dockerProxyFindings(input), ...staleFileFindings(input)];
  },
};
