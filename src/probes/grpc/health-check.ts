// Asks a gRPC port whether the server behind it still answers: `grpc.health.v1.Health/Check`.
//
// A port can be held by an old server that still answers (SERVING/NOT_SERVING, or UNIMPLEMENTED
// when it speaks gRPC but has no health service) or by a hung process: the kernel completes the TCP
// handshake from the listen backlog whether or not the process ever calls accept() or reads, so a
// plain connect() says nothing. Only an application-level answer within a deadline tells them apart.
//
// The protocol: grpc/grpc doc/health-checking.md ("a deadline should be set on the rpc"; an
// unknown service name fails with NOT_FOUND; "the client should be able to handle the case where
// server does not have the Health service"); the messages are in health-proto.ts.
//
// Two steps share one time budget (timeoutMs): an HTTP/2 handshake on a socket of our own (does
// anything answer, and in HTTP/2?), then the RPC through @grpc/grpc-js with the time left as its
// deadline. Why the first step: see http2Handshake
// (http2-handshake.ts). See docs/grpc-health.md.
import { isIPv6 } from 'node:net';
import type { Client, Metadata } from '@grpc/grpc-js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest, GRPC_HEALTH_CHECK_METHOD, SERVING_STATUS, type DecodedHealthResponse } from './health-proto.js';
import { http2Handshake } from './http2-handshake.js';
import type { GrpcHealth, GrpcHealthStatus } from '../../model/grpc.js';
import type { GrpcHealthOptions, GrpcHealthTarget } from './types.js';

const DEFAULT_GRPC_HEALTH_TIMEOUT_MS = 2000;

// A backstop past the deadline: grpc-js enforces the deadline itself, but if its timer ever failed
// to end the call, a hung peer must still not hold the caller (the CLI must exit promptly).
const BACKSTOP_MARGIN_MS = 250;

/** `host:port`, with IPv6 literals in brackets (RFC 3986 authority form, which grpc-js parses). */
export function grpcAddress(target: GrpcHealthTarget): string {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  return isIPv6(host) ? `[${host}]:${target.port}` : `${host}:${target.port}`;
}

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

type GrpcModules = [typeof import('@grpc/grpc-js'), typeof import('./call-errors.js')];
let grpcModules: Promise<GrpcModules> | null = null;

/**
 * grpc-js, loaded when a health check is made: it is some 65 modules, about 90 ms of every start
 * of the CLI otherwise, also for the commands that never ask a gRPC port.
 */
function loadGrpc(): Promise<GrpcModules> {
  grpcModules ??= Promise.all([import('@grpc/grpc-js'), import('./call-errors.js')]);
  return grpcModules;
}

/** The unary call, once the peer has shown it speaks HTTP/2. Always closes its client. */
function healthCall(
  address: string,
  service: string,
  deadlineAt: number,
  timeoutMs: number,
  [{ Client, Metadata, connectivityState, credentials }, { classifyGrpcError }]: GrpcModules,
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
  let deadlineAt = started + timeoutMs;
  // Waiting for grpc-js to load is ours, not the server's: it counts neither against the deadline nor in the latency.
  let loadWait = 0;
  const result = (status: GrpcHealthStatus, detail: string, answered: boolean): GrpcHealth => ({
    port: target.port,
    address,
    status,
    detail,
    latencyMs: answered ? Math.round(performance.now() - started - loadWait) : null,
  });
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) return result('ERROR', `not a TCP port: ${target.port}`, false);
  try {
    const loading = loadGrpc();
    // Handled here too: a handshake that finds no HTTP/2 never awaits it.
    loading.catch(() => undefined);
    const h = await http2Handshake(target.host.replace(/^\[(.*)\]$/, '$1'), target.port, deadlineAt);
    if (!h.http2) return result(h.status, h.detail, false);
    const t = performance.now();
    const grpc = await loading;
    loadWait = performance.now() - t;
    deadlineAt += loadWait;
    const c = await healthCall(address, service, deadlineAt, timeoutMs, grpc);
    return result(c.status, c.detail, c.answered);
  } catch (err) {
    // Neither step rejects; this is the promise that the function never throws, kept.
    return result('ERROR', errorText(err), false);
  }
}
