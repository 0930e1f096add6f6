// Pure parsers for lsof(8) field output (-F) on macOS. The socket probe runs
//
//   lsof -w -nP -iTCP -sTCP:LISTEN -FpcfdtnT0
//
// and the process probe runs `lsof -w -a -d cwd -p PID,PID,… -Fn` for working directories.
//
// Field output (lsof(8) "OUTPUT FOR OTHER PROGRAMS"): every field is one identifier character
// followed by its value. A process set starts with `p`, a file set with `f`; the other fields of a
// set follow in no promised order (published fixtures show `TST=` before `n`,
// ../shared/reference/failure-modes.md §7.2). With `0` each field ends in NUL instead of NL, and lsof
// then ends each process and file set with a NL, so after splitting on NUL a field may start with
// that NL. NUL mode also keeps values containing spaces or newlines intact.
//
// Which letter carries the DEVICE column: `d`. lsof_fields.h defines LSOF_FID_DEVCH 'd' "device
// character code" (`D`, LSOF_FID_DEVN, is the major/minor device number instead), and lsof's field
// printer emits Lf->dev_ch under that id. For an Internet socket the darwin dialect fills dev_ch
// with the kernel address (lsof-org/lsof lib/dialects/darwin/dsock.c:
// `enter_dev_ch(ctx, print_kptr(tcpsi_tp ...))`, else `soi_pcb`), which is what the column output
// shows as DEVICE (`0x55618c024692f4d1`). Two fds showing the same address are the same socket
// (inherited across fork); different addresses on one port are different sockets (SO_REUSEPORT:
// circus-tent/circus#610, and the two-`nc -l` sample in failure-modes.md §2.6). So DEVICE is our
// socket identity, the role the inode plays on Linux.
import type { ListeningSocket, SnapshotIssue, SocketOwner } from '../../model/snapshot.js';

const PROBE = 'sockets.darwin';
export const LSOF_SOCKET_SOURCE = 'lsof -F';

/** One file set as lsof reported it. */
export interface LsofFile {
  /** Raw `f` value: a number for real descriptors, or `cwd`, `txt`, … */
  fd: string | null;
  /** `d`: device character code (for sockets, the kernel address). */
  device: string | null;
  /** `t`: IPv4, IPv6, REG, DIR, … */
  type: string | null;
  /** `n`: name (a path, or `addr:port`, or `local->remote`). */
  name: string | null;
  /** `P`: protocol name, when selected. */
  protocol: string | null;
  /** `TST=` value: the TCP state, when reported. */
  tcpState: string | null;
}

export interface LsofProcess {
  pid: number;
  command: string | null;
  files: LsofFile[];
}

export interface LsofRecords {
  processes: LsofProcess[];
  /** Problems met while reading the field stream (as messages; callers turn them into issues). */
  problems: string[];
}

/**
 * Split -F output into fields, for both forms: NUL-terminated (`-F…0`, detected by the presence of a
 * NUL) or one field per line. Empty fields (blank lines, the set-ending NL) are dropped.
 */
export function splitLsofFields(text: string): string[] {
  if (text.includes('\0')) {
    // In NUL mode the NL that ends a set is glued to the start of the next field.
    return text
      .split('\0')
      .map((f) => (f.startsWith('\n') ? f.slice(1) : f))
      .filter((f) => f.length > 0);
  }
  return text
    .split('\n')
    .map((f) => (f.endsWith('\r') ? f.slice(0, -1) : f))
    .filter((f) => f.length > 0);
}

function emptyFile(fd: string | null): LsofFile {
  return { fd, device: null, type: null, name: null, protocol: null, tcpState: null };
}

/**
 * Field stream → process and file sets. Unknown field letters are ignored (lsof adds some on its own,
 * and `-F?` lists dialect-specific ones). File fields met before any `f` of their process start an
 * implicit file set with no descriptor, so an out-of-order stream still keeps its data.
 */
export function parseLsofRecords(text: string): LsofRecords {
  const processes: LsofProcess[] = [];
  const problems: string[] = [];
  let proc: LsofProcess | null = null;
  let file: LsofFile | null = null;
  let skipping = false;

  const currentFile = (): LsofFile | null => {
    if (!proc) return null;
    if (!file) {
      file = emptyFile(null);
      proc.files.push(file);
    }
    return file;
  };

  splitLsofFields(text).forEach((field, i) => {
    const id = field.charAt(0);
    const value = field.slice(1);
    if (id === 'p') {
      file = null;
      if (!/^\d+$/.test(value)) {
        problems.push(`field ${i + 1}: bad pid field ${JSON.stringify(field.slice(0, 80))}; skipping its files`);
        proc = null;
        skipping = true;
        return;
      }
      proc = { pid: Number(value), command: null, files: [] };
      processes.push(proc);
      skipping = false;
      return;
    }
    if (skipping) return;
    if (!proc) {
      problems.push(`field ${i + 1}: ${JSON.stringify(field.slice(0, 80))} before any process (p) field`);
      skipping = true;
      return;
    }
    switch (id) {
      case 'c':
        proc.command = value;
        return;
      case 'f':
        file = emptyFile(value);
        proc.files.push(file);
        return;
      case 'd': {
        const f = currentFile();
        if (f) f.device = value;
        return;
      }
      case 't': {
        const f = currentFile();
        if (f) f.type = value;
        return;
      }
      case 'n': {
        const f = currentFile();
        if (f) f.name = value;
        return;
      }
      case 'P': {
        const f = currentFile();
        if (f) f.protocol = value;
        return;
      }
      case 'T': {
        // TCP/TPI info arrives as several T fields: `TST=LISTEN`, `TQR=0`, `TQS=0`.
        const f = currentFile();
        if (f && value.startsWith('ST=')) f.tcpState = value.slice(3);
        return;
      }
      default:
        // u, g, R, L, a, l, s, o, i, k, … are not needed here.
        return;
    }
  });
  return { processes, problems };
}

export interface InetName {
  address: string;
  port: number;
  family: 4 | 6;
}

const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * A listening socket's `n` value → printable address, port and family.
 *
 * * `*:50051`: wildcard; lsof prints `*` for both families, so the `t` type decides: IPv4 → `0.0.0.0`,
 *   IPv6 → `::` (a macOS dual-stack listener is an IPv6 socket and shows as IPv6).
 * * `[::1]:8080`, `[::]:50051`, `[::ffff:127.0.0.1]:9000`: brackets stripped.
 * * An IPv6 socket printed with a dotted IPv4 address: lsof's darwin dialect rewrites v4-mapped
 *   addresses to IPv4 (dsock.c, `INI_IPV4` → `fam = AF_INET`) while the type stays IPv6; we restore
 *   `::ffff:a.b.c.d` so the row matches what Linux reports for the same socket (family 6).
 *
 * null for anything else: a connected socket (`a->b`), an unbound port (`*:*`), a non-address name.
 */
export function parseInetName(name: string, type: string | null): InetName | null {
  if (name.includes('->')) return null;
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(name) ?? /^([^:[\]]+):(\d+)$/.exec(name);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const host = m[1];
  const port = Number(m[2]);
  if (port < 0 || port > 65535) return null;
  const family: 4 | 6 = type === 'IPv6' ? 6 : type === 'IPv4' ? 4 : host.includes(':') ? 6 : 4;
  if (host === '*') return { address: family === 6 ? '::' : '0.0.0.0', port, family };
  if (family === 6 && DOTTED_QUAD.test(host)) return { address: `::ffff:${host}`, port, family };
  return { address: host, port, family };
}

export interface LsofListenResult {
  sockets: ListeningSocket[];
  issues: SnapshotIssue[];
}

function ownerFd(fd: string | null): number | null {
  return fd !== null && /^\d+$/.test(fd) ? Number(fd) : null;
}

/**
 * `lsof -w -nP -iTCP -sTCP:LISTEN -F…` output → one ListeningSocket per distinct socket (DEVICE), with
 * every (pid, fd) that holds it, in the order lsof listed them. Rows that are not TCP listeners are
 * dropped (the -sTCP:LISTEN filter already applies; TST is checked again when present). A file set
 * without a DEVICE cannot be tied to other holders: it becomes its own socket, and an issue says so.
 */
export function parseLsofListen(text: string, source: string = LSOF_SOCKET_SOURCE): LsofListenResult {
  const { processes, problems } = parseLsofRecords(text);
  const issues: SnapshotIssue[] = problems.map((p) => ({ probe: PROBE, kind: 'parse', message: `${source}: ${p}` }));
  const byId = new Map<string, ListeningSocket>();

  for (const proc of processes) {
    for (const file of proc.files) {
      if (file.tcpState !== null && file.tcpState !== 'LISTEN') continue;
      if (file.protocol !== null && file.protocol !== 'TCP') continue;
      if (file.type !== null && file.type !== 'IPv4' && file.type !== 'IPv6') continue;
      if (file.name === null) continue;
      const inet = parseInetName(file.name, file.type);
      if (!inet) {
        if (!file.name.includes('->')) {
          issues.push({ probe: PROBE, kind: 'parse', message: `${source}: pid ${proc.pid} fd ${file.fd ?? '?'}: unexpected name ${JSON.stringify(file.name)}`, pids: [proc.pid] });
        }
        continue;
      }
      let id = file.device;
      if (id === null) {
        id = `lsof:${proc.pid}/${file.fd ?? '?'}`;
        issues.push({
          probe: PROBE,
          kind: 'parse',
          message: `${source}: pid ${proc.pid} fd ${file.fd ?? '?'} (${file.name}) has no DEVICE field; it cannot be matched with other holders of the same socket`,
          pids: [proc.pid],
        });
      }
      const owner: SocketOwner = { pid: proc.pid, fd: ownerFd(file.fd) };
      const existing = byId.get(id);
      if (existing) {
        if (!existing.owners.some((o) => o.pid === owner.pid && o.fd === owner.fd)) existing.owners.push(owner);
      } else {
        byId.set(id, { address: inet.address, port: inet.port, family: inet.family, id, owners: [owner], source });
      }
    }
  }
  return { sockets: [...byId.values()], issues };
}

/**
 * `lsof -a -d cwd -p PIDS -Fn` output → pid → working directory. Only `cwd` file sets count (a set
 * with no `f` field, from an lsof that omits it, is taken as the cwd: `-d cwd` selected nothing else).
 */
export function parseLsofCwd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const proc of parseLsofRecords(text).processes) {
    for (const file of proc.files) {
      if ((file.fd === 'cwd' || file.fd === null) && file.name !== null && !out.has(proc.pid)) {
        out.set(proc.pid, file.name);
      }
    }
  }
  return out;
}

export interface LsofStderr {
  /** `lsof: WARNING: …` messages, each with its indented continuation lines joined by a space. */
  warnings: string[];
  /** Every other non-blank line, verbatim (errors, usage text). */
  other: string[];
}

/**
 * Split lsof's stderr into warnings and the rest. lsof prints a warning as `lsof: WARNING: …` and
 * indents the lines that continue it; Time Machine snapshots and smbfs volumes make every call print
 * one, whatever was asked (test/fixtures/darwin/captured/lsof/raycast-1158-stderr-timemachine.txt):
 *
 *   lsof: WARNING: can't stat() apfs file system /Volumes/com.apple.TimeMachine.localsnapshots/…
 *         Output information may be incomplete.
 *         assuming "dev=3400022f" from mount table
 *
 * The probes run lsof with `-w` (lsof(8): suppress warning messages), so these should not appear;
 * when they do (an lsof that ignores it), they say nothing about sockets or processes we could not
 * read, and must not be quoted as the reason for an exit status nor taken for access denied.
 */
export function splitLsofStderr(stderr: string): LsofStderr {
  const warnings: string[] = [];
  const other: string[] = [];
  let inWarning = false;
  for (const raw of stderr.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      inWarning = false;
      continue;
    }
    if (/^lsof: WARNING:/i.test(line)) {
      warnings.push(line.trim());
      inWarning = true;
      continue;
    }
    if (inWarning && /^\s/.test(line)) {
      warnings[warnings.length - 1] += ` ${line.trim()}`;
      continue;
    }
    inWarning = false;
    other.push(line);
  }
  return { warnings, other };
}
