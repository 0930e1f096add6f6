// Classifies a failed health call from what grpc-js reports: its status code and details, and
// what was seen of the connection and the response headers.
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import type { GrpcHealthStatus } from '../../model/grpc.js';

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
