// Listening TCP sockets from /proc/net/tcp and tcp6, and listening Unix-domain sockets from
// /proc/net/unix, owners from every /proc/PID/fd table, read once for both (no ss or lsof
// subprocess). Every owner is kept: one inode in several fd tables is an inherited socket; several
// inodes on one port are SO_REUSEPORT duplicates (DOMAIN.md, Ports).
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { ProcScanResult } from '../host/proc-scan.js';
import type { Host } from '../host/host.js';
import { failed, ok } from '../model/outcome.js';
import type { Outcome } from '../model/outcome.js';
import type { ListeningSocket, SnapshotIssue, SocketOwner, UnixListeningSocket } from '../model/snapshot.js';
import { parseFdLink } from '../os/linux/proc-pid.js';
import { parseNetTcp, TCP_LISTEN, type TcpRow } from '../os/linux/proc-net.js';
import { parseNetUnix, SOCK_SEQPACKET, type UnixRow } from '../os/linux/proc-net-unix.js';
import { listPids } from './processes.linux.js';
import type { SocketProbe } from './types.js';

const PROBE = 'sockets.linux';

function readTables(host: Host, dir: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const [file, family] of [['tcp', 4], ['tcp6', 6]] as const) {
    let text: string;
    try {
      text = host.proc.read(`${dir}/${file}`, { seqTable: true });
    } catch (e) {
      // No IPv6 in this kernel: tcp6 is absent. That is not an error.
      if (e instanceof ProcessGone) continue;
      throw e;
    }
    rows.push(...parseNetTcp(text, family, host.proc.path(`${dir}/${file}`)));
  }
  return rows.filter((r) => r.state === TCP_LISTEN);
}

/** The named listening rows of a unix table, by inode (tagged with where they were read). Absent table: none. */
function readUnix(host: Host, dir: string, into: Map<number, UnixRow & { source: string }>): void {
  let text: string;
  try {
    text = host.proc.read(`${dir}/unix`, { seqTable: true });
  } catch (e) {
    if (e instanceof ProcessGone) return; // no AF_UNIX in this kernel, or a fixture tree without it
    throw e;
  }
  const source = host.proc.path(`${dir}/unix`);
  for (const r of parseNetUnix(text, source)) if (r.listening && r.path !== null && !into.has(r.inode)) into.set(r.inode, { ...r, source });
}

/**
 * This namespace's listener tables, read ahead: by the census while its proc scan runs
 * (probes/collect.ts), so that the scan's wait is not followed by them, and the TCP rows by the
 * watch sampler (linuxListenerTable). Each is its rows or the error reading it gave (unix: null
 * when not read ahead).
 */
export interface SocketTables {
  tcp: TcpRow[] | Error;
  unix: Map<number, UnixRow & { source: string }> | Error | null;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export function readSocketTables(host: Host): SocketTables {
  let tcp: TcpRow[] | Error;
  try {
    tcp = readTables(host, 'net');
  } catch (e) {
    tcp = asError(e);
  }
  let unix: SocketTables['unix'] = new Map<number, UnixRow & { source: string }>();
  try {
    readUnix(host, 'net', unix);
  } catch (e) {
    unix = asError(e);
  }
  return { tcp, unix };
}

export interface SocketScan {
  tcp: ListeningSocket[];
  /** null: /proc/net/unix could not be read (its reason is in the issues). */
  unix: UnixListeningSocket[] | null;
}

/**
 * Both kinds of listener from one pass over the fd tables. `scan`: the fd tables already read (by
 * the census's proc scan, probes/collect.ts); without it they are read here, one pid after another.
 */
export async function linuxSocketScan(host: Host, opts: { unix?: boolean; scan?: Pick<ProcScanResult, 'links' | 'denied'>; tables?: SocketTables } = {}): Promise<Outcome<SocketScan>> {
  const source = `${host.proc.path('net')}/{tcp,tcp6,unix} + ${host.proc.path('[pid]')}/fd/*`;
  const issues: SnapshotIssue[] = [];
  const listeners = new Map<number, TcpRow>();
  const ahead = opts.tables;
  // The unix rows read ahead are this scan's own (the tables are read for one scan): added to, not copied.
  const unixListeners = ahead?.unix instanceof Map ? ahead.unix : new Map<number, UnixRow & { source: string }>();
  let unixRead = opts.unix !== false;
  let pids: number[] = [];
  try {
    // `tables`: read ahead (while the census's scan ran; the watch sampler's linuxListenerTable).
    const tcp = ahead?.tcp ?? readTables(host, 'net');
    if (tcp instanceof Error) throw tcp;
    for (const r of tcp) listeners.set(r.inode, r);
    if (!opts.scan) pids = listPids(host);
  } catch (e) {
    return failed((e as Error).message, source);
  }
  try {
    if (unixRead) {
      if (ahead?.unix instanceof Error) throw ahead.unix;
      if (!ahead?.unix) readUnix(host, 'net', unixListeners);
    }
  } catch (e) {
    // The TCP listeners still count: only the unix ones are missing.
    unixRead = false;
    issues.push({ probe: PROBE, kind: 'failed', message: `${host.proc.path('net/unix')}: ${(e as Error).message}: unix sockets not listed` });
  }
  const unixOwners = new Map<number, SocketOwner[]>();
  const owners = new Map<number, SocketOwner[]>();
  // Sockets not in our own namespace's tables: looked up in the owner's namespace, once per namespace.
  const unknown: Array<{ pid: number; fd: number; inode: number }> = [];
  const denied: number[] = [];
  const table = (pid: number, links: { fds: number[]; targets: string[] }): void => {
    const { fds, targets } = links;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (!target.startsWith('socket:')) continue;
      const l = parseFdLink(target);
      if (!l) continue;
      if (listeners.has(l.inode)) {
        let list = owners.get(l.inode);
        if (!list) owners.set(l.inode, (list = []));
        list.push({ pid, fd: fds[i]! });
      } else if (unixListeners.has(l.inode)) {
        let list = unixOwners.get(l.inode);
        if (!list) unixOwners.set(l.inode, (list = []));
        list.push({ pid, fd: fds[i]! });
      } else {
        unknown.push({ pid, fd: fds[i]!, inode: l.inode });
      }
    }
  };
  if (opts.scan) {
    // In pid order, as the serial scan lists them: owners come out in the same order either way.
    for (const pid of [...opts.scan.links.keys()].sort((x, y) => x - y)) table(pid, opts.scan.links.get(pid)!);
    denied.push(...opts.scan.denied);
  } else {
    for (const pid of pids) {
      let links: { fds: number[]; targets: string[] };
      try {
        links = host.proc.fdLinks(pid);
      } catch (e) {
        if (e instanceof AccessDenied) denied.push(pid);
        continue; // gone: skipped
      }
      table(pid, links);
    }
  }
  // Other network namespaces (containers): read /proc/PID/net/tcp* of one pid per namespace. Most
  // unknown sockets are unix sockets in our own namespace, so each pid's namespace is looked up
  // once, and our own is skipped.
  if (unknown.length > 0) {
    let ownNs: string | null = null;
    try {
      ownNs = host.proc.readlink('self/ns/net');
    } catch {
      /* a fixture tree or no permission: compare against nothing */
    }
    const nsOfPid = new Map<number, string | null>();
    const readNs = new Set<string>();
    for (const u of unknown) {
      if (nsOfPid.has(u.pid)) continue;
      let ns: string | null = null;
      try {
        ns = host.proc.readlink(`${u.pid}/ns/net`);
      } catch {
        /* gone or denied */
      }
      nsOfPid.set(u.pid, ns);
      if (ns === null || ns === ownNs || readNs.has(ns)) continue;
      readNs.add(ns);
      try {
        for (const r of readTables(host, `${u.pid}/net`)) if (!listeners.has(r.inode)) listeners.set(r.inode, r);
      } catch {
        /* vanished or unreadable: those sockets stay unknown */
      }
      try {
        if (unixRead) readUnix(host, `${u.pid}/net`, unixListeners);
      } catch {
        /* vanished or unreadable: its unix listeners stay unknown */
      }
    }
    if (readNs.size > 0) {
      for (const u of unknown) {
        const map = listeners.has(u.inode) ? owners : unixListeners.has(u.inode) ? unixOwners : null;
        if (!map) continue;
        let list = map.get(u.inode);
        if (!list) map.set(u.inode, (list = []));
        list.push({ pid: u.pid, fd: u.fd });
      }
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const [inode, r] of listeners) {
    const o = owners.get(inode) ?? [];
    // No owner seen: pid 1's fds are unreadable even to root on some VMs; other users' without root.
    // The socket stays, with owners: [], and the renderers say "owner not visible".
    sockets.push({ address: r.address, port: r.port, family: r.family, id: `inode:${inode}`, owners: o, source: host.proc.path(r.family === 4 ? 'net/tcp' : 'net/tcp6') });
  }
  sockets.sort((a, b) => a.port - b.port || a.address.localeCompare(b.address) || a.id.localeCompare(b.id));
  const unix: UnixListeningSocket[] = [...unixListeners.values()].map((r) => ({
    path: r.path!,
    abstract: r.abstract,
    type: r.type === SOCK_SEQPACKET ? 'seqpacket' : 'stream',
    id: `inode:${r.inode}`,
    owners: unixOwners.get(r.inode) ?? [],
    source: r.source,
  }));
  unix.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (denied.length > 0) {
    issues.push({ probe: PROBE, kind: 'access-denied', message: `fd tables of ${denied.length} process(es) not readable: their sockets show no owner (run as root to see them)`, pids: denied });
  }
  return ok({ tcp: sockets, unix: unixRead ? unix : null }, source, issues);
}

/**
 * This namespace's TCP listening rows, and their inodes, sorted, as one string (`key`): what the
 * watch sampler compares between full passes to know whether the fd scan must be done again; the
 * rows are handed to linuxSockets when it is, so the tables are read once. null: unreadable.
 */
export function linuxListenerTable(host: Host): { key: string; rows: TcpRow[] } | null {
  try {
    const rows = readTables(host, 'net');
    return {
      key: rows
        .map((r) => r.inode)
        .sort((a, b) => a - b)
        .join(','),
      rows,
    };
  } catch {
    return null;
  }
}

/** The TCP listeners alone (ports, the sampler); `tcp`: listening rows just read (linuxListenerTable). */
export const linuxSockets = async (host: Host, tcp?: TcpRow[]): ReturnType<SocketProbe> => {
  const o = await linuxSocketScan(host, { unix: false, ...(tcp ? { tables: { tcp, unix: null } } : {}) });
  if (o.status !== 'ok') return o;
  return ok(o.value.tcp, o.source.replace('{tcp,tcp6,unix}', 'tcp{,6}'), o.issues);
};
