// `ports` asks the gRPC port whether a server answers: an old server still answering (SERVING)
// is told from a hung process holding the port (NO_ANSWER).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { cleanup, PYTHON, runCli } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';
import { requirePython } from '../helpers/requirements.js';

const tracked = new Set<number>();
after(() => cleanup(tracked, [...tracked]));

async function grpcServer(args: string[]): Promise<{ port: number; pid: number }> {
  await requirePython(['grpc']);
  const child = spawn(PYTHON, [fixture('bin', 'grpc_health_server.py'), '--port', '0', ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  tracked.add(child.pid!);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('grpc server did not start')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n').find((x) => x.startsWith('{'));
      if (l) {
        clearTimeout(t);
        resolve(l);
      }
    });
  });
  const ready = JSON.parse(line) as { port: number; pid: number };
  tracked.add(ready.pid);
  return ready;
}

test('ports: a serving gRPC server and a hung one, told apart', async () => {
  const ok = await grpcServer([]);
  const hung = await grpcServer(['--hang']);
  const a = await runCli(['ports', String(ok.port), '--grpc-port', String(ok.port), '--json', '--timeout', '1s']);
  const aj = JSON.parse(a.stdout) as { ports: Array<{ port: number; grpc: { status: string } | null; sockets: Array<{ owners: Array<{ pid: number }> }> }> };
  assert.equal(aj.ports[0]!.grpc?.status, 'SERVING');
  assert.ok(aj.ports[0]!.sockets.some((s) => s.owners.some((o) => o.pid === ok.pid)), 'its owner is the server');
  const t0 = Date.now();
  const b = await runCli(['ports', String(hung.port), '--grpc-port', String(hung.port), '--timeout', '1s']);
  assert.match(b.stdout, new RegExp(`:${hung.port}[\\s\\S]*gRPC 127\\.0\\.0\\.1:${hung.port} health: NO_ANSWER \\(something holds the port but does not answer: a hung process\\?`));
  assert.ok(Date.now() - t0 < 6000, 'the check is bounded by its timeout');
  const c = await runCli(['ports', String(ok.port), '--grpc-port', String(ok.port), '--no-grpc', '--json']);
  assert.equal((JSON.parse(c.stdout) as { ports: Array<{ grpc: unknown }> }).ports[0]!.grpc, null);
});

test('ports: a silent listener on the gRPC port is NO_ANSWER at the 100 ms handshake budget, not at the 5 s timeout', async () => {
  // Accepts and holds every connection, never writing: a hung process holding the port.
  const held = new Set<Socket>();
  const srv = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
  });
  const port = await new Promise<number>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port));
  });
  try {
    const t0 = Date.now();
    const r = await runCli(['ports', String(port), '--grpc-port', String(port), '--json', '--timeout', '5s']);
    const ms = Date.now() - t0;
    const j = JSON.parse(r.stdout) as { ports: Array<{ grpc: { status: string; detail: string; latencyMs: number | null } | null }> };
    const g = j.ports[0]!.grpc;
    assert.equal(g?.status, 'NO_ANSWER', r.stdout);
    assert.match(g!.detail, /nothing answered the HTTP\/2 handshake within 100 ms/);
    assert.equal(g!.latencyMs, null);
    // Generous: the old check waited out the whole 5 s timeout here.
    assert.ok(ms < 4000, `ports took ${ms} ms`);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
