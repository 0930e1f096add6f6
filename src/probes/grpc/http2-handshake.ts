// The HTTP/2 connection preface, exchanged on a socket of our own before the call: does anything
// answer, and in HTTP/2, within a short budget? See http2Handshake.
import type { Socket } from 'node:net';
import { net } from '../../host/builtins.js';
import { lateTimer } from './late-timer.js';
import type { GrpcHealthStatus } from '../../model/grpc.js';

// RFC 9113 §3.4: the client connection preface is this string followed by a SETTINGS frame; the
// server's preface is a SETTINGS frame, which "MUST be the first frame the server sends".
const CLIENT_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  // An empty SETTINGS frame: length 0 (3 bytes), type 0x4, flags 0, stream 0 (4 bytes).
  Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]),
]);
const FRAME_HEADER_LENGTH = 9;
const HTTP2_SETTINGS = 0x04;

type Handshake = { http2: true } | { http2: false; status: GrpcHealthStatus; detail: string };

/** What the first bytes from the peer are, when they are not an HTTP/2 SETTINGS frame. */
function describeFirstBytes(buf: Buffer): string {
  const text = buf.subarray(0, 64).toString('latin1');
  if (text.startsWith('HTTP/')) return `an HTTP/1.x server answered "${text.split(/\r?\n/)[0]}"`;
  // TLS record types 0x15 (alert) and 0x16 (handshake), version 3.x: a TLS-only port.
  if ((buf[0] === 0x15 || buf[0] === 0x16) && buf[1] === 0x03) return 'a TLS server answered (this check speaks plaintext gRPC)';
  const printable = text.replace(/[^\x20-\x7e]/g, '.');
  return `the peer sent ${buf.length} byte(s) that are not an HTTP/2 SETTINGS frame: "${printable}"`;
}

/**
 * Connects, sends the HTTP/2 client preface and waits for the server's SETTINGS frame, for at most
 * `budgetMs`. Always destroys its socket. `onConnected` is called once the preface is written (or
 * the handshake is decided before that), so a caller can start other synchronous work while the
 * peer answers.
 *
 * Why a step of its own, on a socket of our own: a real gRPC server answers the preface within
 * milliseconds (docs/grpc-health.md has the figure), while a hung process holding the port never
 * does; deciding that here lets a silent or non-HTTP/2 peer cost `budgetMs` instead of the whole
 * RPC deadline. It also says what the peer is (HTTP/1, TLS, other bytes, silence), which an HTTP/2
 * client library only reports as a protocol error.
 */
export function http2Handshake(host: string, port: number, budgetMs: number, onConnected: () => void = () => undefined): Promise<Handshake> {
  return new Promise<Handshake>((resolve) => {
    let got = Buffer.alloc(0);
    let connected = false;
    let settled = false;
    let socket: Socket | null = null;
    const settle = (h: Handshake) => {
      if (settled) return;
      settled = true;
      cancel();
      socket?.destroy();
      onConnected();
      resolve(h);
    };
    const notGrpc = (detail: string) => settle({ http2: false, status: 'NOT_GRPC', detail });
    const judge = (final: boolean) => {
      if (got.length === 0) {
        if (final) notGrpc('the peer closed the connection without an HTTP/2 handshake');
        return;
      }
      // Decide as soon as the bytes cannot begin a SETTINGS frame header (an HTTP/1 status line
      // or a TLS record shows in the first bytes), else when the whole header is in.
      const header = got.subarray(0, FRAME_HEADER_LENGTH);
      const looksLikeFrame = header.length < 4 || header[3] === HTTP2_SETTINGS;
      if (got.length >= FRAME_HEADER_LENGTH || !looksLikeFrame || final) {
        const streamZero = got.length >= FRAME_HEADER_LENGTH && got.readUInt32BE(5) % 0x80000000 === 0;
        if (got.length >= FRAME_HEADER_LENGTH && header[3] === HTTP2_SETTINGS && streamZero) settle({ http2: true });
        else notGrpc(describeFirstBytes(got));
      }
    };
    const cancel = lateTimer(budgetMs, () =>
      settle({
        http2: false,
        status: 'NO_ANSWER',
        detail: connected
          ? `the port accepted the connection but nothing answered the HTTP/2 handshake within ${budgetMs} ms (a hung process holding the port?)`
          : `the TCP connection did not complete within ${budgetMs} ms (a full listen backlog, or a filtered port)`,
      }),
    );
    try {
      const s = net().connect({ host, port, noDelay: true });
      socket = s;
      s.on('connect', () => {
        connected = true;
        s.write(CLIENT_PREFACE);
        onConnected();
      });
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        judge(false);
      });
      s.on('end', () => judge(true));
      s.on('close', () => judge(true));
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') settle({ http2: false, status: 'REFUSED', detail: `nothing listens there: ${e.message}` });
        else if (connected && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) notGrpc(`the peer reset the connection without an HTTP/2 handshake: ${e.message}`);
        else settle({ http2: false, status: 'ERROR', detail: `cannot connect: ${e.message}` });
      });
    } catch (e) {
      settle({ http2: false, status: 'ERROR', detail: `cannot connect: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
}
