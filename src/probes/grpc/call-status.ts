// Classifies what came back from the health call (health-call.ts): the HTTP status and
// content-type of the response headers, the grpc-status and grpc-message (from the trailers, or
// from the headers of a trailers-only response), the response message, or how the stream ended
// without them. Pure.
//
// The rules: grpc/grpc doc/PROTOCOL-HTTP2.md (Response-Headers, Trailers-Only, Status, the
// RST_STREAM mapping) and doc/statuscodes.md; doc/health-checking.md for NOT_FOUND.
import { decodeHealthCheckResponse, SERVING_STATUS } from './health-proto.js';
import type { GrpcHealthStatus } from '../../model/grpc.js';

export interface Verdict {
  status: GrpcHealthStatus;
  detail: string;
  /** A gRPC server answered (so a latency is reported). */
  answered: boolean;
}

/** gRPC status codes by number (doc/statuscodes.md). */
export const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** How a client reads an RST_STREAM error code (PROTOCOL-HTTP2.md, "Errors"). */
const RST_STREAM_STATUS: Record<number, string> = {
  0x0: 'INTERNAL', // NO_ERROR before the trailers
  0x1: 'INTERNAL', // PROTOCOL_ERROR
  0x2: 'INTERNAL', // INTERNAL_ERROR
  0x3: 'INTERNAL', // FLOW_CONTROL_ERROR
  0x4: 'INTERNAL', // SETTINGS_TIMEOUT
  0x6: 'INTERNAL', // FRAME_SIZE_ERROR
  0x7: 'UNAVAILABLE', // REFUSED_STREAM
  0x8: 'CANCELLED', // CANCEL
  0x9: 'INTERNAL', // COMPRESSION_ERROR
  0xa: 'INTERNAL', // CONNECT_ERROR
  0xb: 'RESOURCE_EXHAUSTED', // ENHANCE_YOUR_CALM
  0xc: 'PERMISSION_DENIED', // INADEQUATE_SECURITY
};

/** At most this much of a server's grpc-message (or of anything quoted) goes into a detail. */
const DETAIL_CHARS = 200;

function cut(s: string): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > DETAIL_CHARS ? `${flat.slice(0, DETAIL_CHARS)}…` : flat;
}

/** grpc-message is percent-encoded UTF-8 (PROTOCOL-HTTP2.md); a bad escape is shown as sent. */
export function decodeGrpcMessage(raw: string | undefined): string {
  if (raw === undefined) return '';
  const decoded = raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
  return cut(decoded);
}

export function codeName(code: number): string {
  return GRPC_CODES[code] ?? `status ${code}`;
}

/** What was read of the response. */
export interface CallOutcome {
  /** The response headers' :status and content-type; null when no headers came. */
  httpStatus: number | null;
  contentType: string | null;
  /** grpc-status as sent (trailers, or the headers of a trailers-only response); null if absent. */
  grpcStatus: string | null;
  grpcMessage: string | undefined;
  /** The response message (the bytes after the 5-byte prefix), when one came whole. */
  message: Buffer | null;
}

/** Classifies a call that ended with its stream (trailers or trailers-only headers came, or not). */
export function classifyResponse(o: CallOutcome): Verdict {
  const message = decodeGrpcMessage(o.grpcMessage);
  const ct = o.contentType ?? '(none)';
  // A gRPC response's content-type begins with "application/grpc" (Response-Headers). An HTTP/2
  // web server answers with its own (a 404 page, an HTML 200): not a gRPC server without health.
  if (o.httpStatus !== null && !(o.contentType ?? '').startsWith('application/grpc')) {
    return { status: 'NOT_GRPC', detail: `HTTP/2 server, but not gRPC (HTTP status ${o.httpStatus}, content-type ${ct})`, answered: false };
  }
  if (o.grpcStatus === null) {
    // No grpc-status at all: an HTTP/2 server that is not gRPC when the HTTP status is not 200
    // (grpc-js would synthesize one from doc/http-grpc-status-mapping.md, e.g. 404 → UNIMPLEMENTED,
    // which would take a web server for a gRPC server without the health service).
    if (o.httpStatus !== null && o.httpStatus !== 200) {
      return { status: 'NOT_GRPC', detail: `HTTP/2 server, but not gRPC (HTTP status ${o.httpStatus} without grpc-status)`, answered: false };
    }
    return { status: 'ERROR', detail: 'INTERNAL: the call ended without a grpc-status', answered: false };
  }
  if (!/^\d{1,9}$/.test(o.grpcStatus)) return { status: 'ERROR', detail: `INTERNAL: grpc-status "${cut(o.grpcStatus)}" is not a status code`, answered: false };
  const code = Number(o.grpcStatus);
  const said = message === '' ? '' : `: ${message}`;
  switch (code) {
    case 0: {
      if (o.message === null) return { status: 'ERROR', detail: 'INTERNAL: the call ended OK without a response message', answered: false };
      const res = decodeHealthCheckResponse(o.message);
      if (!res.ok) return { status: 'ERROR', detail: `undecodable HealthCheckResponse: ${res.error}`, answered: false };
      const s = SERVING_STATUS[res.status];
      return { status: s ?? 'UNKNOWN', detail: s ? `health status ${s}` : `unrecognized ServingStatus value ${res.status}`, answered: true };
    }
    case 12:
      return { status: 'UNIMPLEMENTED', detail: `the server speaks gRPC but has no health service: UNIMPLEMENTED${said}`, answered: true };
    case 5:
      // doc/health-checking.md: "If the service name is not registered, the server returns a
      // NOT_FOUND GRPC status."
      return { status: 'SERVICE_UNKNOWN', detail: `the health service does not know this service name: NOT_FOUND${said}`, answered: true };
    case 4:
      return { status: 'NO_ANSWER', detail: `the HTTP/2 connection came up, but the server ended the call with DEADLINE_EXCEEDED (a stuck server)${said}`, answered: false };
    default:
      return { status: 'ERROR', detail: `${codeName(code)}${said}`, answered: false };
  }
}

/** The stream was reset before a grpc-status came. */
export function classifyReset(rstCode: number, sawHeaders: boolean): Verdict {
  const name = RST_STREAM_STATUS[rstCode] ?? 'INTERNAL';
  return { status: 'ERROR', detail: `${name}: the server reset the stream (RST_STREAM code ${rstCode}) ${sawHeaders ? 'after the response headers' : 'before any response'}`, answered: false };
}
