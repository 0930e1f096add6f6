// checkGrpcHealth against real servers on loopback: the Python grpcio fixture in each mode, a Node
// gRPC responder written on node:http2, hostile peers (a raw TCP listener that never answers: a
// hung process holding the port; one that closes at once; an HTTP/1.1 server; an HTTP/2 server
// that is not gRPC; gRPC responders that stall their trailers, send an oversized message, reset
// the stream, or never answer the call), a closed port, and IPv6 ::1. Every Python server runs in
// its own process group and is killed by group and pid in `after`, which fails if anything
// survives. Every check must come back within its budget + 1 s.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { classifyReset, classifyResponse, decodeGrpcMessage } from '../../src/probes/grpc/call-status.js';
import { grpcTimeout, lengthPrefixed } from '../../src/probes/grpc/health-call.js';
import { checkGrpcHealth, DEFAULT_GRPC_HANDSHAKE_MS, grpcAddress, startGrpcHealth } from '../../src/probes/grpc/health-check.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from '../../src/probes/grpc/health-proto.js';
import type { GrpcHealth } from '../../src/model/grpc.js';
import type { GrpcHealthOptions, GrpcHealthTarget } from '../../src/probes/grpc/types.js';
import { PYTHON, alive, cleanup, freePort } from '../helpers/live.js';
import { ROOT, fixture } from '../helpers/paths.js';
import { requirePython } from '../helpers/requirements.js';

const TIMEOUT_MS = 1500;
const SLACK_MS = 1000;
const SCRIPT = fixture('bin', 'grpc_health_server.py');
const V4 = '127.0.0.1';

const tracked = new Set<number>();
const groups: number[] = [];
const pythons: PyServer[] = [];
const closers: Array<[string, () => Promise<void>]> = [];

after(async () => {
  try {
    await cleanup(tracked, groups);
    for (const p of pythons) assert.ok(!alive(p.pid), `python server ${p.pid} (${p.args.join(' ')}) survived cleanup`);
  } finally {
    // In-process servers: each must close within 5 s, or the suite fails instead of hanging.
    for (const [name, close] of closers.splice(0).reverse()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not close within 5 s`)), 5000)));
      await Promise.race([close(), stuck]).finally(() => clearTimeout(timer));
    }
  }
});

// --- servers ---

interface PyServer {
  child: ChildProcess;
  pid: number;
  port: number;
  args: string[];
  stderr: () => string;
}

/** The Python fixture as a process-group leader; resolves on its JSON ready line. */
async function startPython(args: string[]): Promise<PyServer> {
  await requirePython(['grpc']);
  const child = spawn(PYTHON, [SCRIPT, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (child.pid === undefined) throw new Error(`cannot start ${SCRIPT}`);
  tracked.add(child.pid);
  groups.push(child.pid);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<{ ready: true; port: number; pid: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`grpc_health_server.py ${args.join(' ')} did not get ready: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { ready: true; port: number; pid: number });
      }
    });
    child.once('exit', (c, s) => {
      clearTimeout(timer);
      reject(new Error(`grpc_health_server.py ${args.join(' ')} exited early (${s ?? c}): ${err}`));
    });
  });
  tracked.add(ready.pid);
  const s = { child, pid: ready.pid, port: ready.port, args, stderr: () => err };
  pythons.push(s);
  return s;
}

/** How a gRPC responder on node:http2 (below) answers Check: well, or in one of the hostile ways. */
type Behaviour = 'health' | 'slow-trailers' | 'oversized' | 'reset' | 'silent-call' | 'no-status';

/**
 * A gRPC server written on node:http2 from grpc/grpc doc/PROTOCOL-HTTP2.md, for the method the
 * probe calls: 'health' answers SERVING for the overall ('') health and NOT_FOUND (trailers-only)
 * for any other service name; the other behaviours misbehave after valid response headers.
 */
async function startH2Grpc(host: string, behaviour: Behaviour = 'health', delayMs = 0): Promise<number> {
  const srv = createHttp2Server();
  srv.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => undefined);
    let body = Buffer.alloc(0);
    stream.on('data', (d: Buffer) => (body = Buffer.concat([body, d])));
    stream.on('end', () => {
      if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'Method not found!' }, { endStream: true });
        return;
      }
      const ok = { ':status': 200, 'content-type': 'application/grpc' };
      const serving = lengthPrefixed(Buffer.from([0x08, 0x01]));
      switch (behaviour) {
        case 'health':
          // 5 bytes of prefix: an empty message is HealthCheckRequest{service: ''}.
          if (body.length === 5) {
            stream.respond(ok, { waitForTrailers: true });
            stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
            stream.end(serving);
          } else stream.respond({ ...ok, 'grpc-status': '5', 'grpc-message': 'unknown%20service' }, { endStream: true });
          return;
        case 'slow-trailers':
          stream.respond(ok, { waitForTrailers: true });
          stream.on('wantTrailers', () => setTimeout(() => !stream.destroyed && stream.sendTrailers({ 'grpc-status': '0' }), delayMs));
          stream.end(serving);
          return;
        case 'oversized': {
          // The prefix declares 8 MiB; the bytes follow until the client stops reading.
          const head = Buffer.alloc(5);
          head.writeUInt32BE(8 * 1024 * 1024, 1);
          stream.respond(ok);
          stream.write(Buffer.concat([head, Buffer.alloc(256 * 1024, 0x41)]));
          return;
        }
        case 'reset':
          // Headers, part of a prefix, then RST_STREAM INTERNAL_ERROR (what destroy(err) sends).
          stream.respond(ok);
          stream.write(Buffer.from([0, 0, 0]));
          setTimeout(() => stream.destroy(new Error('reset by the test server')), 20);
          return;
        case 'no-status':
          stream.respond(ok);
          stream.end(serving);
          return;
        case 'silent-call':
          return; // the request is read, nothing is ever answered
      }
    });
  });
  closeOnExit(`http/2 grpc ${behaviour} ${host}`, srv);
  return listening(srv, host);
}

/** Closes the server after destroying every connection it accepted (close() waits for them). */
function closeOnExit(name: string, srv: NetServer | HttpServer | Http2Server): void {
  const sockets = new Set<Socket>();
  srv.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  closers.push([
    name,
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  ]);
}

function listening(srv: NetServer | HttpServer | Http2Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** Accepts and holds every connection, never writing a byte: a hung process holding the port. */
async function startSilentTcp(host: string): Promise<number> {
  const srv = createNetServer(() => undefined);
  closeOnExit(`silent tcp ${host}`, srv);
  return listening(srv, host);
}

/** Accepts and closes at once, without a byte. */
async function startClosingTcp(host: string): Promise<number> {
  const srv = createNetServer((s) => s.destroy());
  closeOnExit(`closing tcp ${host}`, srv);
  return listening(srv, host);
}

/** Writes a line that is not HTTP/2 and closes. */
async function startGarbageTcp(host: string): Promise<number> {
  const srv = createNetServer((s) => s.end('220 hello, this is not http/2\r\n'));
  closeOnExit(`garbage tcp ${host}`, srv);
  return listening(srv, host);
}

async function startHttp1(host: string): Promise<number> {
  const srv = createHttpServer((_req, res) => res.end('hello\n'));
  closeOnExit(`http/1.1 ${host}`, srv);
  return listening(srv, host);
}

/** An HTTP/2 (h2c) web server: speaks HTTP/2 but not gRPC. */
async function startHttp2(host: string, status: number, contentType: string): Promise<number> {
  const srv = createHttp2Server((_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end('<html>not grpc</html>');
  });
  closeOnExit(`http/2 ${status} ${host}`, srv);
  return listening(srv, host);
}

async function ipv6Available(): Promise<string | null> {
  const srv = createNetServer();
  try {
    await listening(srv, '::1');
    await new Promise<void>((r) => srv.close(() => r()));
    return null;
  } catch (e) {
    return `cannot bind ::1 here: ${(e as Error).message}`;
  }
}

// --- checks ---

async function timed(target: GrpcHealthTarget, opts: GrpcHealthOptions = {}): Promise<{ r: GrpcHealth; ms: number }> {
  const t0 = performance.now();
  const r = await checkGrpcHealth(target, { timeoutMs: TIMEOUT_MS, ...opts });
  return { r, ms: Math.round(performance.now() - t0) };
}

/**
 * Asserts the status and that the check came back within `budgetMs` (default the deadline) + 1 s,
 * and, with `atLeastMs`, not before (a verdict at a budget is not an early guess).
 */
async function expectStatus(
  target: GrpcHealthTarget,
  status: GrpcHealth['status'],
  opts: GrpcHealthOptions = {},
  o: { budgetMs?: number; atLeastMs?: number } = {},
): Promise<GrpcHealth> {
  const { r, ms } = await timed(target, opts);
  const budget = o.budgetMs ?? opts.timeoutMs ?? TIMEOUT_MS;
  assert.equal(r.status, status, `${grpcAddress(target)}: ${JSON.stringify(r)}`);
  assert.equal(r.port, target.port);
  assert.equal(r.address, grpcAddress(target));
  assert.ok(ms <= budget + SLACK_MS, `${grpcAddress(target)} took ${ms} ms (budget ${budget} ms): ${JSON.stringify(r)}`);
  assert.ok(r.detail.length > 0, `a detail for ${r.status}`);
  const answered = ['SERVING', 'NOT_SERVING', 'UNKNOWN', 'SERVICE_UNKNOWN', 'UNIMPLEMENTED'].includes(r.status);
  if (answered) assert.ok(r.latencyMs !== null && r.latencyMs >= 0 && r.latencyMs <= ms + 1, `latency of an answer: ${JSON.stringify(r)}`);
  else assert.equal(r.latencyMs, null, `no latency without a gRPC answer: ${JSON.stringify(r)}`);
  if (o.atLeastMs !== undefined) assert.ok(ms >= o.atLeastMs - 50, `${r.status} only after ${o.atLeastMs} ms (${ms} ms)`);
  return r;
}

describe('grpc health: hand-encoded messages (grpc/grpc-proto grpc/health/v1/health.proto)', () => {
  it('encodes HealthCheckRequest.service as field 1, length-delimited; "" as no bytes', () => {
    assert.deepEqual(encodeHealthCheckRequest(''), Buffer.alloc(0));
    assert.deepEqual(encodeHealthCheckRequest('a.B'), Buffer.from([0x0a, 0x03, 0x61, 0x2e, 0x42]));
    const long = 'x'.repeat(200);
    assert.deepEqual(encodeHealthCheckRequest(long).subarray(0, 3), Buffer.from([0x0a, 0xc8, 0x01]), '200 is the varint c8 01');
  });

  it('decodes HealthCheckResponse.status, skips other fields, and reports damage without throwing', () => {
    assert.deepEqual(decodeHealthCheckResponse(Buffer.alloc(0)), { ok: true, status: 0 });
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), { ok: true, status: 1 });
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0x08, 0x02])), { ok: true, status: 2 });
    // An unknown length-delimited field 2 and a fixed32 field 3 before the status.
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0x12, 0x02, 0x68, 0x69, 0x1d, 1, 2, 3, 4, 0x08, 0x03])), { ok: true, status: 3 });
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08])).ok, false);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x12, 0x05, 0x68])).ok, false);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x0b])).ok, false, 'wire type 3 (groups) is not proto3');
  });

  it('frames the request: a 5-byte prefix (flag 0, big-endian length), grpc-timeout in milliseconds', () => {
    assert.deepEqual(lengthPrefixed(Buffer.alloc(0)), Buffer.from([0, 0, 0, 0, 0]));
    assert.deepEqual(lengthPrefixed(Buffer.from([0x0a, 0x01, 0x61])), Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x61]));
    assert.equal(grpcTimeout(1499.2), '1500m');
    assert.equal(grpcTimeout(0), '1m');
    assert.equal(grpcTimeout(1e12), '99999999m', 'at most 8 digits');
  });

  it('classifies the response: grpc-status from trailers or trailers-only headers; an HTTP status without one is NOT_GRPC, not UNIMPLEMENTED', () => {
    const grpc = { httpStatus: 200, contentType: 'application/grpc', grpcMessage: undefined, message: null };
    const k = (o: Partial<Parameters<typeof classifyResponse>[0]>) => classifyResponse({ ...grpc, grpcStatus: null, ...o }).status;
    assert.equal(k({ grpcStatus: '0', message: Buffer.from([0x08, 0x01]) }), 'SERVING');
    assert.equal(k({ grpcStatus: '0', message: Buffer.from([0x08, 0x02]) }), 'NOT_SERVING');
    assert.equal(k({ grpcStatus: '0', message: Buffer.alloc(0) }), 'UNKNOWN', 'an empty message is status 0');
    assert.equal(k({ grpcStatus: '0', message: Buffer.from([0x08, 0x07]) }), 'UNKNOWN', 'a value outside the enum');
    assert.equal(k({ grpcStatus: '0', message: null }), 'ERROR', 'OK without a message');
    assert.equal(k({ grpcStatus: '0', message: Buffer.from([0x08]) }), 'ERROR', 'a damaged message');
    assert.equal(k({ grpcStatus: '12', grpcMessage: 'Method not found!' }), 'UNIMPLEMENTED');
    assert.equal(k({ grpcStatus: '5' }), 'SERVICE_UNKNOWN');
    assert.equal(k({ grpcStatus: '4' }), 'NO_ANSWER');
    assert.equal(k({ grpcStatus: '14', grpcMessage: 'shutting%20down' }), 'ERROR');
    assert.match(classifyResponse({ ...grpc, grpcStatus: '14', grpcMessage: 'shutting%20down' }).detail, /^UNAVAILABLE: shutting down$/);
    assert.equal(k({ grpcStatus: 'x' }), 'ERROR');
    assert.equal(k({ httpStatus: 404, contentType: 'text/html', grpcStatus: null }), 'NOT_GRPC');
    assert.equal(k({ httpStatus: 200, contentType: 'text/html', grpcStatus: '0' }), 'NOT_GRPC', 'the content-type decides first');
    assert.equal(k({ httpStatus: 404, grpcStatus: null }), 'NOT_GRPC', 'an HTTP error without grpc-status');
    assert.equal(k({ grpcStatus: null }), 'ERROR', 'a gRPC 200 without grpc-status');
    assert.equal(decodeGrpcMessage('caf%C3%A9%20%'), 'café %', 'percent-decoded; a bad escape shown as sent');
    assert.equal(decodeGrpcMessage('x'.repeat(1000)).length, 201, 'a long message is cut');
    assert.match(classifyReset(0x8, true).detail, /^CANCELLED: .*RST_STREAM code 8/);
    assert.match(classifyReset(0x7, false).detail, /^UNAVAILABLE/);
  });

  it('writes IPv6 literals in brackets', () => {
    assert.equal(grpcAddress({ host: '::1', port: 50051 }), '[::1]:50051');
    assert.equal(grpcAddress({ host: '[::1]', port: 50051 }), '[::1]:50051');
    assert.equal(grpcAddress({ host: '127.0.0.1', port: 50051 }), '127.0.0.1:50051');
    assert.equal(grpcAddress({ host: 'localhost', port: 1 }), 'localhost:1');
    assert.equal(grpcAddress({ host: '::ffff:127.0.0.1', port: 2 }), '[::ffff:127.0.0.1]:2');
    assert.equal(grpcAddress({ host: '2001:db8::5', port: 3 }), '[2001:db8::5]:3');
  });
});

describe('grpc health: real servers on loopback', () => {
  const py: Record<string, PyServer> = {};

  before(async () => {
    const modes: Record<string, string[]> = {
      serving: ['--service', 'inference.v1.Predict'],
      notServing: ['--status', 'NOT_SERVING'],
      unknown: ['--status', 'UNKNOWN'],
      noHealth: ['--no-health'],
      hang: ['--hang'],
    };
    const started = await Promise.all(Object.entries(modes).map(async ([k, args]) => [k, await startPython(args)] as const));
    for (const [k, s] of started) py[k] = s;
  });

  it('Python grpcio: SERVING, NOT_SERVING and UNKNOWN as the server says', async () => {
    await expectStatus({ host: V4, port: py.serving!.port }, 'SERVING');
    await expectStatus({ host: V4, port: py.serving!.port }, 'SERVING', { service: 'inference.v1.Predict' });
    await expectStatus({ host: V4, port: py.notServing!.port }, 'NOT_SERVING');
    await expectStatus({ host: V4, port: py.unknown!.port }, 'UNKNOWN');
  });

  it('Python grpcio: an unknown service name is SERVICE_UNKNOWN (NOT_FOUND)', async () => {
    const r = await expectStatus({ host: V4, port: py.serving!.port }, 'SERVICE_UNKNOWN', { service: 'no.such.Service' });
    assert.match(r.detail, /no\.such\.Service/);
  });

  it('Python grpcio without the health service: UNIMPLEMENTED (a gRPC server still answering)', async () => {
    await expectStatus({ host: V4, port: py.noHealth!.port }, 'UNIMPLEMENTED');
  });

  it('Python grpcio whose handler hangs: NO_ANSWER at the deadline, with the connection up', async () => {
    const r = await expectStatus({ host: V4, port: py.hang!.port }, 'NO_ANSWER', {}, { atLeastMs: TIMEOUT_MS });
    assert.match(r.detail, /HTTP\/2 connection came up/);
  });

  it('a gRPC responder on node:http2: SERVING; an unknown service (trailers-only NOT_FOUND) is SERVICE_UNKNOWN', async () => {
    const port = await startH2Grpc(V4);
    await expectStatus({ host: V4, port }, 'SERVING');
    await expectStatus({ host: V4, port }, 'SERVICE_UNKNOWN', { service: 'no.such.Service' });
  });

  it('a raw TCP listener that accepts and never answers (a hung process holding the port): NO_ANSWER at the handshake budget, not the deadline', async () => {
    const port = await startSilentTcp(V4);
    const r = await expectStatus({ host: V4, port }, 'NO_ANSWER', {}, { budgetMs: DEFAULT_GRPC_HANDSHAKE_MS, atLeastMs: DEFAULT_GRPC_HANDSHAKE_MS });
    assert.match(r.detail, new RegExp(`nothing answered the HTTP/2 handshake within ${DEFAULT_GRPC_HANDSHAKE_MS} ms`));
    // A deadline shorter than the budget is honoured as well; a longer budget is the caller's.
    await expectStatus({ host: V4, port }, 'NO_ANSWER', { timeoutMs: 60 }, { atLeastMs: 60 });
    const slow = await expectStatus({ host: V4, port }, 'NO_ANSWER', { handshakeMs: 700 }, { budgetMs: 700, atLeastMs: 700 });
    assert.match(slow.detail, /within 700 ms/);
  });

  it('a TCP listener that accepts and closes at once: NOT_GRPC, without waiting for the budget', async () => {
    const r = await expectStatus({ host: V4, port: await startClosingTcp(V4) }, 'NOT_GRPC', {}, { budgetMs: 0 });
    assert.match(r.detail, /closed the connection|reset the connection/);
  });

  it('gRPC responders that misbehave after their headers: slow trailers, an oversized message, a reset, no grpc-status, no answer', async () => {
    // Trailers 300 ms late, inside the deadline: the answer stands.
    await expectStatus({ host: V4, port: await startH2Grpc(V4, 'slow-trailers', 300) }, 'SERVING');
    // Trailers past the deadline: the call is not complete, whatever came before them.
    const late = await expectStatus({ host: V4, port: await startH2Grpc(V4, 'slow-trailers', 5000) }, 'NO_ANSWER', {}, { atLeastMs: TIMEOUT_MS });
    assert.match(late.detail, /trailers did not come/);
    // 8 MiB declared: refused from the prefix, long before the deadline.
    const big = await expectStatus({ host: V4, port: await startH2Grpc(V4, 'oversized') }, 'ERROR', {}, { budgetMs: 0 });
    assert.match(big.detail, /RESOURCE_EXHAUSTED: the response is larger than 65536 bytes/);
    const reset = await expectStatus({ host: V4, port: await startH2Grpc(V4, 'reset') }, 'ERROR', {}, { budgetMs: 0 });
    assert.match(reset.detail, /INTERNAL: the server reset the stream \(RST_STREAM code 2\)/);
    const bare = await expectStatus({ host: V4, port: await startH2Grpc(V4, 'no-status') }, 'ERROR', {}, { budgetMs: 0 });
    assert.match(bare.detail, /without a grpc-status/);
    const silent = await expectStatus({ host: V4, port: await startH2Grpc(V4, 'silent-call') }, 'NO_ANSWER', {}, { atLeastMs: TIMEOUT_MS });
    assert.match(silent.detail, /HTTP\/2 connection came up, but the health check got no answer/);
  });

  it('a stalled event loop (the census beside the check) is not charged to the server: a real answer still counts, a silent peer is judged in the same stall', async () => {
    const stall = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        /* synchronous work, as the census's /proc reads */
      }
    };
    // Python grpcio, SERVING: the loop is blocked well past the handshake budget.
    const a = startGrpcHealth({ host: V4, port: py.serving!.port }, { timeoutMs: TIMEOUT_MS });
    await a.connected;
    stall(DEFAULT_GRPC_HANDSHAKE_MS * 3);
    const ra = await a.result;
    assert.equal(ra.status, 'SERVING', JSON.stringify(ra));
    // A silent listener: its budget runs during the stall, so the verdict comes right after it
    // (not a stall plus a budget).
    const port = await startSilentTcp(V4);
    const t0 = performance.now();
    const b = startGrpcHealth({ host: V4, port }, { timeoutMs: TIMEOUT_MS, handshakeMs: 500 });
    await b.connected;
    stall(800);
    const rb = await b.result;
    const ms = performance.now() - t0;
    assert.equal(rb.status, 'NO_ANSWER', JSON.stringify(rb));
    assert.ok(ms < 800 + 400, `the budget overlapped the stall: ${Math.round(ms)} ms for an 800 ms stall and a 500 ms budget`);
  });

  it('an HTTP/1.1 server: NOT_GRPC', async () => {
    const port = await startHttp1(V4);
    const r = await expectStatus({ host: V4, port }, 'NOT_GRPC');
    assert.match(r.detail, /HTTP\/1\.x server answered "HTTP\/1\.1 400/);
  });

  it('a TCP server that writes something else and closes: NOT_GRPC', async () => {
    await expectStatus({ host: V4, port: await startGarbageTcp(V4) }, 'NOT_GRPC');
  });

  it('an HTTP/2 web server that is not gRPC: NOT_GRPC, not UNIMPLEMENTED (its 404) or ERROR (its HTML)', async () => {
    const notFound = await expectStatus({ host: V4, port: await startHttp2(V4, 404, 'text/plain') }, 'NOT_GRPC');
    assert.match(notFound.detail, /HTTP\/2 server, but not gRPC/);
    await expectStatus({ host: V4, port: await startHttp2(V4, 200, 'text/html') }, 'NOT_GRPC');
  });

  it('a closed port: REFUSED', async () => {
    const port = await freePort(V4);
    await expectStatus({ host: V4, port }, 'REFUSED');
  });

  it('IPv6 ::1: the Python and Node servers answer SERVING at [::1]:port; a closed ::1 port is REFUSED; a silent one NO_ANSWER', async (t) => {
    const why = await ipv6Available();
    if (why) {
      t.skip(why);
      return;
    }
    const p6 = await startPython(['--host', '::1']);
    const r = await expectStatus({ host: '::1', port: p6.port }, 'SERVING');
    assert.equal(r.address, `[::1]:${p6.port}`);
    await expectStatus({ host: '::1', port: await startH2Grpc('::1') }, 'SERVING');
    await expectStatus({ host: '::1', port: await freePort('::1') }, 'REFUSED');
    await expectStatus({ host: '::1', port: await startSilentTcp('::1') }, 'NO_ANSWER', {}, { budgetMs: DEFAULT_GRPC_HANDSHAKE_MS, atLeastMs: DEFAULT_GRPC_HANDSHAKE_MS });
  });

  it('leaves no open handles or sockets: a child process that checks hung and broken servers exits by itself within the deadline + 2 s', async () => {
    const silent = await startSilentTcp(V4);
    const garbage = await startGarbageTcp(V4);
    const deadline = 1000;
    const mod = pathToFileURL(`${ROOT}src/probes/grpc/health-check.ts`).href;
    // No process.exit(): the child must end because nothing keeps its event loop alive. It also
    // counts its socket descriptors before and after (Linux /proc): an unref'd socket left to a
    // hung peer would not keep it alive but would still be a leak.
    const script = `
      import { readdirSync, readlinkSync, existsSync } from 'node:fs';
      import { checkGrpcHealth } from ${JSON.stringify(mod)};
      const sockets = () => existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').filter((f) => { try { return readlinkSync('/proc/self/fd/' + f).startsWith('socket:'); } catch { return false; } }).length : -1;
      const before = sockets();
      process.stdout.write('start\\n');
      const targets = [{ host: '127.0.0.1', port: ${silent} }, { host: '127.0.0.1', port: ${py.hang!.port} }, { host: '127.0.0.1', port: ${garbage} }];
      const results = await Promise.all(targets.map((t) => checkGrpcHealth(t, { timeoutMs: ${deadline} })));
      await new Promise((r) => setTimeout(r, 100));
      process.stdout.write(JSON.stringify({ results, before, after: sockets() }) + '\\n');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) tracked.add(child.pid);
    let out = '';
    let err = '';
    let startedAt = 0;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (startedAt === 0 && out.includes('start\n')) startedAt = performance.now();
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // A backstop far past the limit, so a regression fails here instead of hanging the suite.
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | string | null>((r) => child.once('exit', (c, s) => r(s ?? c)));
    clearTimeout(killer);
    const exitedAt = performance.now();
    // Reaped: its pid may be reused, so cleanup must not signal it.
    if (child.pid !== undefined) tracked.delete(child.pid);
    assert.equal(code, 0, `child exit ${code}: ${err}`);
    assert.ok(startedAt > 0, `the child started its checks: ${out} ${err}`);
    const ms = Math.round(exitedAt - startedAt);
    assert.ok(ms <= deadline + 2000, `the child exited ${ms} ms after starting a ${deadline} ms check: ${out} ${err}`);
    const report = JSON.parse(out.split('\n')[1]!) as { results: GrpcHealth[]; before: number; after: number };
    assert.deepEqual(
      report.results.map((r) => r.status),
      ['NO_ANSWER', 'NO_ANSWER', 'NOT_GRPC'],
    );
    assert.equal(report.after, report.before, `socket descriptors before and after the checks: ${out}`);
    assert.equal(err, '', 'nothing was logged');
  });

  it('the Python fixture exits 0 on SIGTERM and SIGINT, a hung call in flight or not', async () => {
    const t0 = performance.now();
    const inFlight = checkGrpcHealth({ host: V4, port: py.hang!.port }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    const stops = Object.values(py).map(async (s, i) => {
      const exited = new Promise<number | string | null>((r) => s.child.once('exit', (c, sig) => r(sig ?? c)));
      process.kill(s.pid, i % 2 === 0 ? 'SIGTERM' : 'SIGINT');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<string>((r) => (timer = setTimeout(() => r('still running after 5 s'), 5000)));
      const code = await Promise.race([exited, late]).finally(() => clearTimeout(timer));
      assert.equal(code, 0, `${s.args.join(' ')}: ${code}; stderr: ${s.stderr()}`);
    });
    await Promise.all(stops);
    // The server ends the held call as it stops (UNAVAILABLE "shutting down"), long before the
    // call's own 5 s deadline.
    const r = await inFlight;
    const ms = performance.now() - t0;
    assert.equal(r.status, 'ERROR', JSON.stringify(r));
    assert.match(r.detail, /UNAVAILABLE/);
    assert.ok(ms < 4000, `the held call ended with the server, after ${Math.round(ms)} ms: ${JSON.stringify(r)}`);
  });
});
