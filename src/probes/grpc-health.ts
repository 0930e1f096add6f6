// Asks a gRPC port whether the server behind it still answers: `grpc.health.v1.Health/Check`.
//
// A port can be held by an old server that still answers (SERVING/NOT_SERVING, or UNIMPLEMENTED
// when it speaks gRPC but has no health service) or by a hung process: the kernel completes the TCP
// handshake from the listen backlog whether or not the process ever calls accept() or reads, so a
// plain connect() says nothing. Only an application-level answer within a deadline tells them apart.
//
// The protocol: grpc/grpc doc/health-checking.md ("a deadline should be set on the rpc"; an
// unknown service name fails with NOT_FOUND; "the client should be able to handle the case where
// server does not have the Health service") and the message definitions in grpc/grpc-proto
// grpc/health/v1/health.proto:
//
//   message HealthCheckRequest { string service = 1; }
//   message HealthCheckResponse {
//     enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
//     ServingStatus status = 1;
//   }
//
// The two messages are encoded by hand below (one string field, one enum field), so neither
// @grpc/proto-loader nor protobufjs is needed at run time.
//
// Two steps share one time budget (timeoutMs): an HTTP/2 handshake on a socket of our own (does
// anything answer, and in HTTP/2?), then the RPC through @grpc/grpc-js with the time left as its
// deadline. Why the first step: see http2Handshake. See docs/grpc-health.md.
import { connect, isIPv6, type Socket } from 'node:net';
import { Client, Metadata, connectivityState, credentials, status as Code, type ServiceError } from '@grpc/grpc-js';

export type GrpcHealthStatus =
  | 'SERVING'
  | 'NOT_SERVING'
  | 'SERVICE_UNKNOWN'
  | 'UNKNOWN'
  | 'UNIMPLEMENTED'
  | 'NO_ANSWER'
  | 'NOT_GRPC'
  | 'REFUSED'
  | 'ERROR';

export interface GrpcHealth {
  port: number;
  /** The target as dialled: `127.0.0.1:50051`, `[::1]:50051`. */
  address: string;
  status: GrpcHealthStatus;
  /** Why, in words (the gRPC status details, or what was seen on the wire). */
  detail: string;
  /**
   * From the start of the check to the server's gRPC answer (so it includes our handshake
   * connection); null when no gRPC answer came back.
   */
  latencyMs: number | null;
}

export interface GrpcHealthTarget {
  host: string;
  port: number;
}

export interface GrpcHealthOptions {
  /** The service name to ask about; '' (the default) is the server's overall health. */
  service?: string;
  /**
   * The whole check's budget: the handshake, then the RPC with the time left as its deadline. The
   * check never outlives it by more than a small margin (BACKSTOP_MARGIN_MS). Default 2000.
   */
  timeoutMs?: number;
}

export const DEFAULT_GRPC_HEALTH_TIMEOUT_MS = 2000;
export const GRPC_HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

// A backstop past the deadline: grpc-js enforces the deadline itself, but if its timer ever failed
// to end the call, a hung peer must still not hold the caller (the CLI must exit promptly).
const BACKSTOP_MARGIN_MS = 250;

const SERVING_STATUS: Record<number, GrpcHealthStatus> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

/** `host:port`, with IPv6 literals in brackets (RFC 3986 authority form, which grpc-js parses). */
export function grpcAddress(target: GrpcHealthTarget): string {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  return isIPv6(host) ? `[${host}]:${target.port}` : `${host}:${target.port}`;
}

// --- protobuf wire format (https://protobuf.dev/programming-guides/encoding/) ---

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/**
 * HealthCheckRequest: field 1 (`service`), wire type 2 (length-delimited), so tag byte 0x0a.
 * proto3 omits a field at its default value, so the overall-health request is zero bytes.
 */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(bytes.length)]), bytes]);
}

export type DecodedHealthResponse = { ok: true; status: number } | { ok: false; error: string };

/**
 * HealthCheckResponse: field 1 (`status`), wire type 0 (varint). An absent field is the default,
 * 0 (UNKNOWN). Other fields are skipped, as a proto3 parser must. Never throws: a deserializer that
 * throws would surface as a grpc-js INTERNAL error, and we want to say what was wrong.
 */
export function decodeHealthCheckResponse(buf: Buffer): DecodedHealthResponse {
  let pos = 0;
  let status = 0;
  const varint = (): number | null => {
    let result = 0;
    let shift = 0;
    while (pos < buf.length && shift < 64) {
      const b = buf[pos++]!;
      // Enum values fit 32 bits; higher groups are read and dropped (negative enums are 10 bytes).
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return null;
  };
  while (pos < buf.length) {
    const key = varint();
    if (key === null) return { ok: false, error: 'truncated field key' };
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (v === null) return { ok: false, error: `truncated varint in field ${field}` };
      if (field === 1) status = v;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = varint();
      if (len === null) return { ok: false, error: `truncated length in field ${field}` };
      pos += len;
    } else {
      return { ok: false, error: `unsupported wire type ${wire} in field ${field}` };
    }
    if (pos > buf.length) return { ok: false, error: `field ${field} runs past the end of the message` };
  }
  return { ok: true, status };
}

// --- the check ---

const CLIENT_OPTIONS = {
  // One attempt: a retry would hide a flapping server and could exceed the caller's deadline.
  'grpc.enable_retries': 0,
  // A subchannel of our own, so closing the client tears the connection down now instead of
  // leaving it in grpc-js's process-wide pool.
  'grpc.use_local_subchannel_pool': 1,
  // No DNS TXT lookup for a service config: we dial loopback addresses, one call.
  'grpc.service_config_disable_resolution': 1,
  // The answer is a few bytes; do not buffer a large reply from something that is not gRPC.
  'grpc.max_receive_message_length': 64 * 1024,
} as const;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** grpc-js's connection errors end in an ISO time and an empty "Resolution note"; drop both. */
function tidy(details: string): string {
  return details
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .replace(/\.? ?Resolution note: ?$/, '')
    .trim();
}

/** What was seen of the call besides its status, for telling "not gRPC" and "hung" apart. */
interface CallFacts {
  /** The HTTP/2 connection was READY when the call ended. */
  connected: boolean;
  /** The content-type of the response headers, when headers (not trailers-only) came back. */
  contentType: string | null;
}

/** Classifies a failed call. */
export function classifyGrpcError(
  err: Pick<ServiceError, 'code' | 'details' | 'message'>,
  facts: CallFacts,
): { status: GrpcHealthStatus; detail: string; answered: boolean } {
  const details = tidy(err.details || err.message);
  // A gRPC response's content-type begins with "application/grpc" (grpc/grpc doc/PROTOCOL-HTTP2.md,
  // Response-Headers); a web server's HTML page over HTTP/2 otherwise surfaces as a decode error.
  if (facts.contentType !== null && !facts.contentType.startsWith('application/grpc')) {
    return { status: 'NOT_GRPC', detail: `HTTP/2 server, but not gRPC (content-type ${facts.contentType}): ${details}`, answered: false };
  }
  // A response without grpc-status: grpc-js synthesizes a status from the HTTP status (grpc/grpc
  // doc/http-grpc-status-mapping.md, e.g. 404 → UNIMPLEMENTED) and says "Received HTTP status code
  // N". That is an HTTP/2 server that is not gRPC, not a gRPC server without the health service.
  if (/Received HTTP status code \d+/.test(details)) {
    return { status: 'NOT_GRPC', detail: `HTTP/2 server, but not gRPC: ${details}`, answered: false };
  }
  switch (err.code) {
    case Code.UNIMPLEMENTED:
      return { status: 'UNIMPLEMENTED', detail: `the server speaks gRPC but has no health service: ${details}`, answered: true };
    case Code.NOT_FOUND:
      // doc/health-checking.md: "If the service name is not registered, the server returns a
      // NOT_FOUND GRPC status."
      return { status: 'SERVICE_UNKNOWN', detail: `the health service does not know this service name: ${details}`, answered: true };
    case Code.DEADLINE_EXCEEDED:
      return {
        status: 'NO_ANSWER',
        detail: facts.connected
          ? `the HTTP/2 connection came up, but the health check got no answer before the deadline (a stuck server): ${details}`
          : `the port accepted the connection but nothing answered the HTTP/2 handshake before the deadline (a hung process holding the port?): ${details}`,
        answered: false,
      };
    case Code.UNAVAILABLE: {
      if (/ECONNREFUSED/.test(details)) return { status: 'REFUSED', detail: `nothing listens there: ${details}`, answered: false };
      // grpc-js says "No connection established. Last error: …" when its connection never became
      // ready, that is, no HTTP/2 SETTINGS came (RFC 9113 §3.4: a server's first frame). The
      // handshake step normally decides these cases first; this is for a peer that changed in
      // between. Without that prefix, the connection was up: a gRPC server ended the call.
      const neverConnected = /No connection established/.test(details);
      if (neverConnected && /Protocol error|ERR_HTTP2/.test(details)) {
        return { status: 'NOT_GRPC', detail: `the peer does not speak HTTP/2 (an HTTP/1 server or another protocol): ${details}`, answered: false };
      }
      if (neverConnected && /Failed to connect|Socket closed|ECONNRESET|EPIPE/.test(details)) {
        return { status: 'NOT_GRPC', detail: `the peer closed the connection without an HTTP/2 handshake: ${details}`, answered: false };
      }
      return { status: 'ERROR', detail: `UNAVAILABLE: ${details}`, answered: false };
    }
    default:
      return { status: 'ERROR', detail: `${Code[err.code] ?? err.code}: ${details}`, answered: false };
  }
}

// --- the HTTP/2 handshake, on a socket of our own ---

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
 * Connects, sends the HTTP/2 client preface and waits for the server's SETTINGS frame, until
 * `deadlineAt`. Always destroys its socket.
 *
 * Why, before handing the port to grpc-js: when the peer accepted TCP but never sends SETTINGS,
 * closing a grpc-js (1.14) channel does not abandon the pending connection attempt (the subchannel
 * goes IDLE without shutting its connector down), so the socket to a hung process stays open
 * (unref'd, so the process can exit, but still an open connection) until the peer closes it. Likewise, after a peer writes non-HTTP/2
 * bytes and closes, grpc-js leaves its side half-open. Deciding those cases on a socket we own and
 * destroy means grpc-js only ever dials a peer that has shown it speaks HTTP/2, whose connection it
 * does close. It also lets us say what the peer is (HTTP/1, TLS, other bytes, silence).
 */
function http2Handshake(host: string, port: number, deadlineAt: number): Promise<Handshake> {
  return new Promise<Handshake>((resolve) => {
    let got = Buffer.alloc(0);
    let connected = false;
    let settled = false;
    let socket: Socket | null = null;
    const settle = (h: Handshake) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
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
    const timer = setTimeout(
      () =>
        settle({
          http2: false,
          status: 'NO_ANSWER',
          detail: connected
            ? 'the port accepted the connection but nothing answered the HTTP/2 handshake before the deadline (a hung process holding the port?)'
            : 'the TCP connection did not complete before the deadline (a full listen backlog, or a filtered port)',
        }),
      Math.max(0, deadlineAt - performance.now()),
    );
    try {
      const s = connect({ host, port, noDelay: true });
      socket = s;
      s.on('connect', () => {
        connected = true;
        s.write(CLIENT_PREFACE);
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
      settle({ http2: false, status: 'ERROR', detail: `cannot connect: ${errorText(e)}` });
    }
  });
}

// --- the health check ---

/** The unary call, once the peer has shown it speaks HTTP/2. Always closes its client. */
function healthCall(
  address: string,
  service: string,
  deadlineAt: number,
  timeoutMs: number,
): Promise<{ status: GrpcHealthStatus; detail: string; answered: boolean }> {
  return new Promise((resolve) => {
    let client: Client | null = null;
    let backstop: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (status: GrpcHealthStatus, detail: string, answered: boolean) => {
      if (done) return;
      done = true;
      if (backstop !== undefined) clearTimeout(backstop);
      try {
        client?.close();
      } catch {
        /* closing is best effort; the result stands */
      }
      resolve({ status, detail, answered });
    };
    try {
      const remaining = Math.max(0, deadlineAt - performance.now());
      // grpc-js enforces the deadline; the backstop is for the case where it would not.
      backstop = setTimeout(() => finish('NO_ANSWER', `no answer within ${timeoutMs} ms (call abandoned)`, false), remaining + BACKSTOP_MARGIN_MS);
      const c = new Client(address, credentials.createInsecure(), CLIENT_OPTIONS);
      client = c;
      let contentType: string | null = null;
      const call = c.makeUnaryRequest<Buffer, DecodedHealthResponse>(
        GRPC_HEALTH_CHECK_METHOD,
        (req) => req,
        decodeHealthCheckResponse,
        encodeHealthCheckRequest(service),
        new Metadata(),
        { deadline: new Date(Date.now() + remaining) },
        (err, res) => {
          if (err) {
            let connected = false;
            try {
              connected = c.getChannel().getConnectivityState(false) === connectivityState.READY;
            } catch {
              /* the channel is gone: not connected */
            }
            const k = classifyGrpcError(err, { connected, contentType });
            finish(k.status, k.detail, k.answered);
          } else if (!res) {
            finish('ERROR', 'the call ended without a response message', false);
          } else if (!res.ok) {
            finish('ERROR', `undecodable HealthCheckResponse: ${res.error}`, false);
          } else {
            const s = SERVING_STATUS[res.status];
            finish(s ?? 'UNKNOWN', s ? `health status ${s}` : `unrecognized ServingStatus value ${res.status}`, true);
          }
        },
      );
      // Response headers (not a trailers-only response): keep the content-type to tell an HTTP/2
      // web server from a gRPC one.
      call.on('metadata', (md: Metadata) => {
        const v = md.get('content-type')[0];
        contentType = typeof v === 'string' ? v : null;
      });
    } catch (err) {
      // new Client() throws on a target it cannot parse; makeUnaryRequest should not throw.
      finish('ERROR', `cannot start the call: ${errorText(err)}`, false);
    }
  });
}

/**
 * Calls `grpc.health.v1.Health/Check` once, within `timeoutMs` in all (the HTTP/2 handshake on our
 * own socket, then the call with the remaining time as its deadline). Never throws; closes every
 * socket and channel it opened, so the caller's process is not kept alive.
 */
export async function checkGrpcHealth(target: GrpcHealthTarget, opts: GrpcHealthOptions = {}): Promise<GrpcHealth> {
  const address = grpcAddress(target);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GRPC_HEALTH_TIMEOUT_MS;
  const service = opts.service ?? '';
  const started = performance.now();
  const deadlineAt = started + timeoutMs;
  const result = (status: GrpcHealthStatus, detail: string, answered: boolean): GrpcHealth => ({
    port: target.port,
    address,
    status,
    detail,
    latencyMs: answered ? Math.round(performance.now() - started) : null,
  });
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) return result('ERROR', `not a TCP port: ${target.port}`, false);
  try {
    const h = await http2Handshake(target.host.replace(/^\[(.*)\]$/, '$1'), target.port, deadlineAt);
    if (!h.http2) return result(h.status, h.detail, false);
    const c = await healthCall(address, service, deadlineAt, timeoutMs);
    return result(c.status, c.detail, c.answered);
  } catch (err) {
    // Neither step rejects; this is the promise that the function never throws, kept.
    return result('ERROR', errorText(err), false);
  }
}

/** Runs the checks concurrently; the results are in the order of `targets`. */
export function checkMany(targets: readonly GrpcHealthTarget[], opts: GrpcHealthOptions = {}): Promise<GrpcHealth[]> {
  return Promise.all(targets.map((t) => checkGrpcHealth(t, opts)));
}
