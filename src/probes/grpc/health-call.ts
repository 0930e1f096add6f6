// The unary call grpc.health.v1.Health/Check over node:http2, once the peer has shown it speaks
// HTTP/2 (http2-handshake.ts). One session per call, always destroyed; never throws.
//
// The wire protocol is grpc/grpc doc/PROTOCOL-HTTP2.md: a POST to /grpc.health.v1.Health/Check
// with content-type application/grpc, te: trailers and grpc-timeout; the request and the response
// are each one Length-Prefixed-Message (a compressed flag byte, a 4-byte big-endian length, the
// protobuf bytes: health-proto.ts); the status comes in the trailers (grpc-status, grpc-message),
// or, in a trailers-only response, in the response headers themselves.
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { http2 } from '../../host/builtins.js';
import { classifyReset, classifyResponse, type Verdict } from './call-status.js';
import { encodeHealthCheckRequest, GRPC_HEALTH_CHECK_METHOD } from './health-proto.js';
import { lateTimer } from './late-timer.js';

/** A HealthCheckResponse is two bytes; anything past this is not a health answer. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** The most header bytes we accept (advertised as SETTINGS_MAX_HEADER_LIST_SIZE; node enforces it). */
const MAX_HEADER_LIST_BYTES = 16 * 1024;

/** A Length-Prefixed-Message: flag 0 (not compressed), the length, the bytes. */
export function lengthPrefixed(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** grpc-timeout: at most 8 digits and a unit (PROTOCOL-HTTP2.md, Timeout); milliseconds here. */
export function grpcTimeout(ms: number): string {
  return `${Math.min(99_999_999, Math.max(1, Math.ceil(ms)))}m`;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Calls Check on `authority` (`127.0.0.1:50051`, `[::1]:50051`) with `deadlineMs` as its deadline
 * (sent as grpc-timeout, and enforced here). Resolves once: the classified answer, or NO_ANSWER at
 * the deadline. Every path destroys the session.
 */
export function healthCall(authority: string, service: string, deadlineMs: number): Promise<Verdict> {
  return new Promise<Verdict>((resolve) => {
    let session: ClientHttp2Session | null = null;
    let stream: ClientHttp2Stream | null = null;
    let done = false;
    let gotSettings = false;
    let headers: IncomingHttpHeaders | null = null;
    let trailers: IncomingHttpHeaders | null = null;
    let body: Buffer = Buffer.alloc(0);
    const finish = (v: Verdict) => {
      if (done) return;
      done = true;
      cancel();
      try {
        stream?.close(http2().constants.NGHTTP2_CANCEL);
      } catch {
        /* closing is best effort; the verdict stands */
      }
      session?.destroy();
      resolve(v);
    };
    const cancel = lateTimer(deadlineMs, () =>
      finish({
        status: 'NO_ANSWER',
        detail: !gotSettings
          ? `the HTTP/2 handshake went unanswered on the call's connection within ${Math.round(deadlineMs)} ms (the peer stopped answering)`
          : headers === null
            ? `the HTTP/2 connection came up, but the health check got no answer within ${Math.round(deadlineMs)} ms (a stuck server)`
            : `the HTTP/2 connection came up and the response began, but its trailers did not come within ${Math.round(deadlineMs)} ms (a stuck server)`,
        answered: false,
      }),
    );
    /** The message of the response body, once it is whole; null while it is not. */
    const message = (): Buffer | null => {
      if (body.length < 5) return null;
      const len = body.readUInt32BE(1);
      return body.length >= 5 + len ? body.subarray(5, 5 + len) : null;
    };
    const judge = () => {
      const h = headers ?? {};
      const t = trailers ?? h;
      const status = header(t, 'grpc-status') ?? (trailers === null ? undefined : header(h, 'grpc-status'));
      if (body.length >= 1 && body[0] !== 0) return finish({ status: 'ERROR', detail: 'INTERNAL: the server sent a compressed message, which this check did not ask for', answered: false });
      finish(
        classifyResponse({
          httpStatus: headers === null ? null : Number(header(h, ':status') ?? 0),
          contentType: headers === null ? null : (header(h, 'content-type') ?? null),
          grpcStatus: status ?? null,
          grpcMessage: header(t, 'grpc-message') ?? (trailers === null ? undefined : header(h, 'grpc-message')),
          message: message(),
        }),
      );
    };
    try {
      const s = http2().connect(`http://${authority}`, {
        settings: { enablePush: false, maxHeaderListSize: MAX_HEADER_LIST_BYTES },
        maxSessionMemory: 1,
        maxReservedRemoteStreams: 0,
      });
      session = s;
      s.on('remoteSettings', () => (gotSettings = true));
      s.on('error', (e: NodeJS.ErrnoException) => finish({ status: 'ERROR', detail: `UNAVAILABLE: the HTTP/2 connection failed: ${errorText(e)}`, answered: false }));
      s.on('goaway', (code: number) => {
        // A GOAWAY lets streams it covers finish; the stream's own close decides those.
        if (stream === null) finish({ status: 'ERROR', detail: `UNAVAILABLE: the server closed the connection (GOAWAY code ${code})`, answered: false });
      });
      s.on('close', () => finish({ status: 'ERROR', detail: 'UNAVAILABLE: the connection closed before the call ended (the server went away)', answered: false }));
      const req = s.request(
        {
          ':method': 'POST',
          ':path': GRPC_HEALTH_CHECK_METHOD,
          ':scheme': 'http',
          ':authority': authority,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': grpcTimeout(deadlineMs),
          'user-agent': 'rerun-doctor',
        },
        { endStream: false },
      );
      stream = req;
      req.on('response', (h: IncomingHttpHeaders, flags: number) => {
        headers = h;
        // Not gRPC (an HTTP/2 web server's page): judged now, its body unread. A trailers-only
        // response (END_STREAM on the headers) is judged when the stream closes.
        if (!(header(h, 'content-type') ?? '').startsWith('application/grpc')) judge();
        void flags;
      });
      req.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
      req.on('data', (d: Buffer) => {
        body = body.length === 0 ? d : Buffer.concat([body, d]);
        const declared = body.length >= 5 ? body.readUInt32BE(1) : 0;
        if (declared > MAX_RESPONSE_BYTES || body.length > MAX_RESPONSE_BYTES + 5) {
          finish({ status: 'ERROR', detail: `RESOURCE_EXHAUSTED: the response is larger than ${MAX_RESPONSE_BYTES} bytes (${Math.max(declared, body.length - 5)} bytes), not a health answer`, answered: false });
        }
      });
      req.on('error', () => undefined); // the close below says how it ended
      req.on('close', () => {
        if (done) return;
        const rst = req.rstCode ?? http2().constants.NGHTTP2_NO_ERROR;
        const ended = trailers !== null || (headers !== null && header(headers, 'grpc-status') !== undefined);
        if (ended) judge();
        else if (rst !== http2().constants.NGHTTP2_NO_ERROR || headers !== null) {
          // Reset, or ended without trailers: an HTTP/2 server's non-gRPC answer ends like that too
          // (a 404 page and END_STREAM), and is judged by its headers.
          if (headers !== null && !(header(headers, 'content-type') ?? '').startsWith('application/grpc')) judge();
          else if (rst !== http2().constants.NGHTTP2_NO_ERROR) finish(classifyReset(rst, headers !== null));
          else judge();
        } else if (s.destroyed || s.closed) finish({ status: 'ERROR', detail: 'UNAVAILABLE: the connection closed before the call ended (the server went away)', answered: false });
        else finish(classifyReset(rst, false));
      });
      req.end(lengthPrefixed(encodeHealthCheckRequest(service)));
    } catch (e) {
      finish({ status: 'ERROR', detail: `cannot start the call: ${errorText(e)}`, answered: false });
    }
  });
}
