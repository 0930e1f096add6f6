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
// Two steps: an HTTP/2 handshake on a socket of our own within a short budget (handshakeMs: does
// anything answer, and in HTTP/2? http2-handshake.ts), then the unary call over node:http2 with
// the rest of timeoutMs as its deadline (health-call.ts). See docs/grpc-health.md.
import { healthCall } from './health-call.js';
import { http2Handshake } from './http2-handshake.js';
import type { GrpcHealth } from '../../model/grpc.js';
import type { GrpcHealthOptions, GrpcHealthTarget } from './types.js';
import { monotonicMs } from '../../host/clock.js';

export const DEFAULT_GRPC_HEALTH_TIMEOUT_MS = 2000;
/**
 * How long a peer has to answer the HTTP/2 preface (connect, then the server's SETTINGS frame). A
 * real gRPC server answers in about a millisecond on loopback, 6.5 ms at worst here
 * (docs/grpc-health.md); a silent or non-HTTP/2 peer is judged after this, not after the whole
 * deadline. Time the census beside it blocks our event loop counts as time given to the peer (its
 * answer waits in our socket, read before the verdict: late-timer.ts), so beside a census longer
 * than this a silent peer costs `ports` nothing more (issue 12: 300 ms until 2026-12-02).
 */
export const DEFAULT_GRPC_HANDSHAKE_MS = 100;

/** `host:port`, with IPv6 literals in brackets (RFC 3986 authority form). */
export function grpcAddress(target: GrpcHealthTarget): string {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  // A colon: an IPv6 literal (no host name or IPv4 address has one). Not net.isIPv6: its first call
  // compiles a large regular expression, some 10 ms of `ports` (issue 12).
  return host.includes(':') ? `[${host}]:${target.port}` : `${host}:${target.port}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A check under way: `connected` settles once the handshake's preface is out (or it is decided). */
export interface StartedGrpcCheck {
  connected: Promise<void>;
  result: Promise<GrpcHealth>;
}

/**
 * Starts the check; see checkGrpcHealth. A caller with synchronous work to do beside it (the
 * census) awaits `connected` first, so the peer has the preface while that work runs.
 */
export function startGrpcHealth(target: GrpcHealthTarget, opts: GrpcHealthOptions = {}): StartedGrpcCheck {
  let onConnected: () => void = () => undefined;
  const connected = new Promise<void>((r) => (onConnected = r));
  const result = run(target, opts, () => onConnected());
  // Bounded: a connect that hangs (a filtered port) must not hold the caller's other work.
  const bounded = Promise.race([connected, new Promise<void>((r) => setTimeout(r, 50).unref())]);
  return { connected: bounded, result };
}

async function run(target: GrpcHealthTarget, opts: GrpcHealthOptions, onConnected: () => void): Promise<GrpcHealth> {
  const address = grpcAddress(target);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GRPC_HEALTH_TIMEOUT_MS;
  const handshakeMs = Math.min(opts.handshakeMs ?? DEFAULT_GRPC_HANDSHAKE_MS, timeoutMs);
  const service = opts.service ?? '';
  const result = (status: GrpcHealth['status'], detail: string, latencyMs: number | null): GrpcHealth => ({ port: target.port, address, status, detail, latencyMs });
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    onConnected();
    return result('ERROR', `not a TCP port: ${target.port}`, null);
  }
  try {
    const started = monotonicMs();
    const h = await http2Handshake(target.host.replace(/^\[(.*)\]$/, '$1'), target.port, handshakeMs, onConnected);
    if (!h.http2) return result(h.status, h.detail, null);
    // The call gets what the handshake left of the budget. Time our process spent elsewhere (a
    // census blocking the event loop) is not charged to the server: at most handshakeMs is.
    const spent = Math.min(monotonicMs() - started, handshakeMs);
    const t0 = monotonicMs();
    const c = await healthCall(address, service, timeoutMs - spent);
    return result(c.status, c.detail, c.answered ? Math.round((monotonicMs() - t0) * 10) / 10 : null);
  } catch (err) {
    // Neither step rejects; this keeps the promise that the check never throws.
    return result('ERROR', errorText(err), null);
  }
}

/**
 * Calls `grpc.health.v1.Health/Check` once: the HTTP/2 handshake within `handshakeMs`, then the
 * call with the rest of `timeoutMs` as its deadline. Never throws; closes every socket and session
 * it opened, so the caller's process is not kept alive.
 */
export function checkGrpcHealth(target: GrpcHealthTarget, opts: GrpcHealthOptions = {}): Promise<GrpcHealth> {
  return startGrpcHealth(target, opts).result;
}
