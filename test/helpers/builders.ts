// Builders for synthetic snapshots and fixture /proc trees (real files, real fd symlinks).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassifyOptions } from '../../src/census/classify.js';
import type { ListeningSocket, ProcessInfo, Snapshot } from '../../src/model/snapshot.js';

const BASE = Date.parse('2026-11-26T10:00:00Z');

/** A process row; `start` is seconds after a fixed base time. */
export function proc(pid: number, ppid: number, argv: string[], more: Partial<ProcessInfo> & { start?: number } = {}): ProcessInfo {
  const { start = pid / 1000, ...rest } = more;
  const comm = (argv[0] ?? '').split('/').pop()!.slice(0, 15) || 'x';
  return {
    pid,
    ppid,
    pgid: ppid,
    // Unknown unless a test says: a session id contradicting the parent's is adoption evidence.
    sid: null,
    uid: 1000,
    user: 'alice',
    state: 'S',
    zombie: false,
    startTime: new Date(BASE + start * 1000).toISOString(),
    startKey: Math.round(start * 100),
    comm,
    argv,
    exe: null,
    cwd: null,
    rssBytes: 1 << 20,
    cpuSeconds: 0,
    tty: 'pts/1',
    ...rest,
  };
}

export const PY = '/usr/bin/python3';
export const SERVER = [PY, '-m', 'src.main'];
export const SPAWN = [PY, '-c', 'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6, pipe_handle=8)', '--multiprocessing-fork'];
export const TRACKER = [PY, '-c', 'from multiprocessing.resource_tracker import main;main(5)'];
export const FORKSERVER = [PY, '-c', "from multiprocessing.forkserver import main; main(3, 5, ['__main__'], **{'sys_path': []})"];
export const INIT = proc(1, 0, ['/sbin/init'], { start: -1000, pgid: 1, sid: 1, tty: null, comm: 'systemd', cgroup: '/init.scope' } as Partial<ProcessInfo> & { start: number });
export const SHELL = proc(900, 1, ['-bash'], { start: -500, pgid: 900, sid: 900, comm: 'bash' });

export function snapshot(processes: ProcessInfo[], sockets: ListeningSocket[] = [], platform: Snapshot['platform'] = 'linux'): Snapshot {
  return { schemaVersion: 1, platform, takenAt: new Date(BASE + 3600_000).toISOString(), hostname: 'test', selfPid: 99999, bootTime: null, processes, sockets, probes: [], issues: [] };
}

export function listen(port: number, inode: number, owners: number[], address = '0.0.0.0'): ListeningSocket {
  return { address, port, family: address.includes(':') ? 6 : 4, id: `inode:${inode}`, owners: owners.map((pid) => ({ pid, fd: 3 })), source: 'test' };
}

export const OPTS: ClassifyOptions = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30, projectRoot: null };

// ---- fixture /proc trees ----

export function statLine(p: { pid: number; comm: string; state?: string; ppid: number; pgid: number; sid: number; startTicks: number; tty?: number }): string {
  // Fields 3..52 as in proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
  const f = [p.state ?? 'S', p.ppid, p.pgid, p.sid, p.tty ?? 0, -1, 4194304, 0, 0, 0, 0, 7, 3, 0, 0, 20, 0, 1, 0, p.startTicks, 1000000, 250];
  while (f.length < 50) f.push(0);
  return `${p.pid} (${p.comm}) ${f.join(' ')}\n`;
}

export function tcpTable(rows: Array<{ hex: string; port: number; inode: number; state?: string }>): string {
  const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  return head + rows.map((r, i) => `   ${i}: ${r.hex}:${r.port.toString(16).toUpperCase().padStart(4, '0')} ${'0'.repeat(r.hex.length)}:0000 ${r.state ?? '0A'} 00000000:00000000 00:00000000 00000000  1000        0 ${r.inode} 1 0000000000000000 100 0 0 10 0\n`).join('');
}

export interface FakeProc {
  pid: number;
  ppid: number;
  argv: string[];
  comm?: string;
  pgid?: number;
  sid?: number;
  startTicks?: number;
  state?: string;
  uid?: number;
  fds?: Record<number, string>;
}

/** Writes a /proc tree: stat (with btime), net/tcp{,6}, and per pid stat, cmdline, status, fd/ symlinks. */
export function procTree(procs: FakeProc[], net: { tcp?: string; tcp6?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'rd-proc-'));
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4\nbtime 1795000000\n');
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), net.tcp ?? tcpTable([]));
  writeFileSync(join(root, 'net', 'tcp6'), net.tcp6 ?? tcpTable([]));
  for (const p of procs) {
    const dir = join(root, String(p.pid));
    mkdirSync(join(dir, 'fd'), { recursive: true });
    writeFileSync(join(dir, 'stat'), statLine({ pid: p.pid, comm: p.comm ?? (p.argv[0] ?? 'x').split('/').pop()!.slice(0, 15), ppid: p.ppid, pgid: p.pgid ?? p.ppid, sid: p.sid ?? 1, startTicks: p.startTicks ?? p.pid, state: p.state }));
    writeFileSync(join(dir, 'cmdline'), p.argv.map((a) => a + '\0').join(''));
    writeFileSync(join(dir, 'status'), `Name:\tx\nUid:\t${p.uid ?? 1000}\t${p.uid ?? 1000}\t0\t0\nVmRSS:\t    1024 kB\n`);
    writeFileSync(join(dir, 'cgroup'), '0::/user.slice/user-1000.slice/session-1.scope\n');
    for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(dir, 'fd', fd));
  }
  return root;
}
