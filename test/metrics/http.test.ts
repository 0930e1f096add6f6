// host.http against small hostile servers on 127.0.0.1: each failure is a value with a kind.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { httpGet } from '../../src/host/http.js';
import { freePort } from '../helpers/live.js';

const servers: Array<{ close: () => void }> = [];
after(() => servers.forEach((s) => s.close()));

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const srv: Server = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push({
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  });
  const a = srv.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

const opts = { timeoutMs: 1000, maxBytes: 1024 * 1024 };

test('a plain answer: status, content type, body, sizes', async () => {
  const base = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('up 1\n');
  });
  const r = await httpGet(`${base}/metrics`, opts);
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'up 1\n');
  assert.equal(r.contentType, 'text/plain; version=0.0.4');
  assert.equal(r.bytes, 5);
});

test('connection refused', async () => {
  const port = await freePort();
  const r = await httpGet(`http://127.0.0.1:${port}/metrics`, opts);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.kind, 'refused');
    assert.match(r.message, new RegExp(`nothing listens on 127.0.0.1:${port}`));
  }
});

test('a server that accepts and never answers: timeout, on time', async () => {
  const held: Socket[] = [];
  const tcp = createTcpServer((s) => held.push(s));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  servers.push({ close: () => { held.forEach((s) => s.destroy()); tcp.close(); } });
  const a = tcp.address();
  const t0 = Date.now();
  const r = await httpGet(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/metrics`, { ...opts, timeoutMs: 300 });
  const took = Date.now() - t0;
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.kind, 'timeout');
  assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
});

test('a body that trickles past the deadline times out too', async () => {
  const base = await serve((_req, res) => {
    res.writeHead(200);
    const t = setInterval(() => res.write('x 1\n'), 50);
    res.on('close', () => clearInterval(t));
  });
  const r = await httpGet(base, { ...opts, timeoutMs: 300 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.kind, 'timeout');
});

test('redirects are followed and reported; a loop is an error', async () => {
  const base = await serve((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(301, { location: '/metrics/' });
      res.end();
    } else if (req.url === '/metrics/') {
      res.writeHead(200);
      res.end('up 1\n');
    } else {
      res.writeHead(302, { location: '/loop' });
      res.end();
    }
  });
  const r = await httpGet(`${base}/metrics`, opts);
  assert.ok(r.ok, JSON.stringify(r));
  if (r.ok) assert.deepEqual(r.redirects, [`${base}/metrics/`]);
  const loop = await httpGet(`${base}/loop`, opts);
  assert.equal(loop.ok, false);
  if (!loop.ok) {
    assert.equal(loop.kind, 'redirects');
    assert.match(loop.message, /more than 5 redirects/);
  }
});

test('body limit, on the wire and after gunzip (a small gzip that inflates)', async () => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const zipped = gzipSync(big);
  const base = await serve((req, res) => {
    if (req.url === '/plain') {
      res.writeHead(200);
      res.end(big);
    } else {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(zipped);
    }
  });
  assert.ok(zipped.length < opts.maxBytes, 'the gzip itself is under the limit');
  for (const path of ['/plain', '/gzip']) {
    const r = await httpGet(`${base}${path}`, opts);
    assert.equal(r.ok, false, path);
    if (!r.ok) {
      assert.equal(r.kind, 'too-large');
      assert.match(r.message, /larger than 1 MiB/);
    }
  }
});

test('gzip is decoded; corrupt gzip and unknown encodings are errors', async () => {
  const base = await serve((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
      res.end(gzipSync('up 1\n'));
    } else if (req.url === '/corrupt') {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(Buffer.from('this is not gzip at all'));
    } else {
      res.writeHead(200, { 'content-encoding': 'br' });
      res.end('zzz');
    }
  });
  const ok = await httpGet(`${base}/ok`, opts);
  assert.ok(ok.ok && ok.body === 'up 1\n' && ok.contentEncoding === 'gzip', JSON.stringify(ok));
  const bad = await httpGet(`${base}/corrupt`, opts);
  assert.ok(!bad.ok && bad.kind === 'bad-encoding' && /corrupt/.test(bad.message), JSON.stringify(bad));
  const br = await httpGet(`${base}/br`, opts);
  assert.ok(!br.ok && br.kind === 'bad-encoding' && /"br"/.test(br.message), JSON.stringify(br));
});

test('bad URLs', async () => {
  for (const u of ['not a url', 'ftp://127.0.0.1/metrics']) {
    const r = await httpGet(u, opts);
    assert.ok(!r.ok && r.kind === 'bad-url', JSON.stringify(r));
  }
});

test('a server that closes mid-body', async () => {
  const base = await serve((req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('up 1\n');
    setTimeout(() => req.socket.destroy(), 20);
  });
  const r = await httpGet(base, opts);
  assert.ok(!r.ok && r.kind === 'network', JSON.stringify(r));
});
