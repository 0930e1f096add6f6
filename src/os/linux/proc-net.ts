// Pure parser for /proc/net/tcp and /proc/net/tcp6 (Documentation/networking/proc_net_tcp.rst).
import { ParseError } from '../../host/errors.js';

export interface TcpRow {
  address: string;
  port: number;
  family: 4 | 6;
  /** st column: 0A = LISTEN. */
  state: number;
  uid: number;
  inode: number;
}

export const TCP_LISTEN = 0x0a;

/**
 * IPv4: one u32 in host byte order printed as hex, so on little-endian machines the bytes
 * read reversed (`0100007F` = 127.0.0.1). The port is plain big-endian hex (`C383` = 50051).
 */
export function decodeIpv4(hex: string, littleEndian = true): string {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return (littleEndian ? b.reverse() : b).join('.');
}

/**
 * IPv6: four u32 words, each in host byte order (`::1` prints as
 * `00000000000000000000000001000000`). IPv4-mapped addresses (`::ffff:127.0.0.1`) are shown
 * in their mixed form, since that is how a user reads them.
 */
export function decodeIpv6(hex: string, littleEndian = true): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w * 8 + i, w * 8 + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  return compressIpv6(groups);
}

function compressIpv6(groups: number[]): string {
  // RFC 5952: collapse the longest run (≥ 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Every row of a tcp/tcp6 table (header skipped). Malformed rows raise ParseError naming the line. */
export function parseNetTcp(text: string, family: 4 | 6, source: string, littleEndian = true): TcpRow[] {
  const rows: TcpRow[] = [];
  const lines = text.split('\n');
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]?.trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    const local = f[1];
    const st = f[3];
    const uid = f[7];
    const inode = f[9];
    if (!local || !st || uid === undefined || inode === undefined || !local.includes(':')) {
      throw new ParseError(`line ${n + 1}: unexpected row "${line.slice(0, 80)}"`, source);
    }
    const [addrHex = '', portHex = ''] = local.split(':');
    const expected = family === 4 ? 8 : 32;
    if (addrHex.length !== expected || !/^[0-9A-Fa-f]+$/.test(addrHex + portHex)) {
      throw new ParseError(`line ${n + 1}: bad local address "${local}"`, source);
    }
    rows.push({
      address: family === 4 ? decodeIpv4(addrHex, littleEndian) : decodeIpv6(addrHex, littleEndian),
      port: parseInt(portHex, 16),
      family,
      state: parseInt(st, 16),
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return rows;
}
