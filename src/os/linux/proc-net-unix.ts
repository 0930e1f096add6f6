// Pure parser for /proc/net/unix (net/unix/af_unix.c, unix_seq_show): one row per AF_UNIX socket
// of the reader's network namespace.
//
//   Num       RefCount Protocol Flags    Type St Inode Path
//   00000000392c9b8d: 00000002 00000000 00010000 0001 01 1157787 /tmp/rdcap/grpc.sock
//
// Flags has __SO_ACCEPTCON (0x10000) on a socket that listen() was called on; St is its
// socket state (01 SS_UNCONNECTED for a listener, 03 SS_CONNECTED for a connection); Type is
// SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. The path is the rest of the line after one space
// (it may hold spaces); an abstract name prints with a leading '@' (its NUL bytes as '@' too); an
// unnamed socket (socketpair, a client) has none. An accepted connection shows its listener's path:
// only the flag tells the listener.
import { ParseError } from '../../host/errors.js';

export interface UnixRow {
  inode: number;
  /** The bound name: a filesystem path, `@name` for an abstract one; null when unnamed. */
  path: string | null;
  abstract: boolean;
  /** 1 STREAM, 2 DGRAM, 5 SEQPACKET. */
  type: number;
  /** 1 unconnected, 2 connecting, 3 connected, 4 disconnecting. */
  state: number;
  flags: number;
  /** listen() was called: __SO_ACCEPTCON set, unconnected, STREAM or SEQPACKET. */
  listening: boolean;
}

export const SO_ACCEPTCON = 0x10000;
export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;
const SS_UNCONNECTED = 1;

const ROW = /^\s*[0-9A-Fa-f]+:\s+[0-9A-Fa-f]+\s+[0-9A-Fa-f]+\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\d+)(?: (.*))?$/;

/** Every row (header skipped). A malformed row raises ParseError naming the line. */
export function parseNetUnix(text: string, source: string): UnixRow[] {
  const rows: UnixRow[] = [];
  const lines = text.split('\n');
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const m = ROW.exec(line);
    if (!m) throw new ParseError(`line ${n + 1}: unexpected row "${line.slice(0, 80)}"`, source);
    const flags = parseInt(m[1]!, 16);
    const type = parseInt(m[2]!, 16);
    const state = parseInt(m[3]!, 16);
    const path = m[5] !== undefined && m[5] !== '' ? m[5] : null;
    rows.push({
      inode: Number(m[4]),
      path,
      abstract: path !== null && path.startsWith('@'),
      type,
      state,
      flags,
      listening: (flags & SO_ACCEPTCON) !== 0 && state === SS_UNCONNECTED && (type === SOCK_STREAM || type === SOCK_SEQPACKET),
    });
  }
  return rows;
}
