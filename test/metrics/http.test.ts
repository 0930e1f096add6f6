// host.http against small hostile servers on 127.0.0.1: each failure is a value with a kind.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import dc from 'node:diagnostics_channel';
import { createServer as createHttp2Server } from 'node:http2';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { httpGet } from '../../src/host/http.js';
import { serveHttp } from '../helpers/http-server.js';
import { freePort } from '../helpers/live.js';

const servers: Array<{ close: () => void }> = [];
after(() => servers.forEach((s) => s.close()));
const closers: Array<() => void> = [];
after(() => closers.forEach((c) => c()));
const serve = (handler: Parameters<typeof serveHttp>[0]) => serveHttp(handler, closers);

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

/** An HTTP server on `host` that counts the connections made to it. */
async function counted(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.end('up 1\n')) {
  const srv: Server = createServer(handler);
  let connections = 0;
  srv.on('connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, host, r));
  servers.push({ close: () => { srv.closeAllConnections(); srv.close(); } });
  const a = srv.address();
  return { url: `http://${host}:${typeof a === 'object' && a ? a.port : 0}`, connections: () => connections };
}

/**
 * Every HTTP request and client socket this process starts while `fn` runs (Node's diagnostics
 * channels, published before the socket connects). A guard too: a socket to anything but
 * 127.0.0.1 is destroyed before it connects, so even a client that regressed cannot reach another
 * host from these tests (169.254.169.254 least of all); such attempts are listed in `blocked`.
 */
async function watched<T>(fn: () => Promise<T>): Promise<{ result: T; requests: string[]; sockets: number; blocked: string[] }> {
  const requests: string[] = [];
  const blocked: string[] = [];
  let sockets = 0;
  const onRequest = (m: unknown) => {
    const q = (m as { request: { host: string; path: string } }).request;
    requests.push(`${q.host}${q.path}`);
  };
  const onSocket = (m: unknown) => {
    sockets++;
    const socket = (m as { socket: Socket }).socket;
    const connect = socket.connect.bind(socket) as (...args: unknown[]) => Socket;
    (socket as unknown as { connect: (...args: unknown[]) => Socket }).connect = (...args: unknown[]) => {
      const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string } | undefined;
      const host = typeof first === 'object' && first !== null ? first.host : undefined;
      if (host !== '127.0.0.1') {
        blocked.push(String(host));
        socket.destroy(new Error(`test guard: no connection to ${String(host)}`));
        return socket;
      }
      return connect(...args);
    };
  };
  dc.subscribe('http.client.request.start', onRequest);
  dc.subscribe('net.client.socket', onSocket);
  try {
    return { result: await fn(), requests, sockets, blocked };
  } finally {
    dc.unsubscribe('http.client.request.start', onRequest);
    dc.unsubscribe('net.client.socket', onSocket);
  }
}

test('a redirect to another local port is refused, and nothing connects to that port', async () => {
  const other = await counted('127.0.0.1');
  const base = await serve((_q, r) => {
    r.writeHead(302, { location: `${other.url}/metrics` });
    r.end();
  });
  const { result: r, sockets } = await watched(() => httpGet(`${base}/metrics`, opts));
  assert.equal(sockets, 1, 'one connection: to the URL given');
  assert.ok(!r.ok && r.kind === 'redirects', JSON.stringify(r));
  assert.match(r.message, new RegExp(`redirected to another port, ${other.url}/metrics \\(HTTP 302 from ${base}/metrics\\): only redirects within ${base} are followed`));
  assert.equal(other.connections(), 0, 'the other port was never connected to');
});

test('a redirect to another host (127.0.0.2) is refused, and nothing connects to it', async () => {
  const other = await counted('127.0.0.2');
  const base = await serve((_q, r) => {
    r.writeHead(307, { location: `${other.url}/metrics` });
    r.end();
  });
  const { result: r, sockets, blocked } = await watched(() => httpGet(`${base}/metrics`, opts));
  assert.deepEqual(blocked, [], 'no connection to 127.0.0.2 was even attempted');
  assert.equal(sockets, 1);
  assert.ok(!r.ok && r.kind === 'redirects', JSON.stringify(r));
  assert.match(r.message, /redirected to another host, http:\/\/127\.0\.0\.2:\d+\/metrics \(HTTP 307 from /);
  assert.equal(other.connections(), 0);
});

test('a redirect to 169.254.169.254 is refused before any connection is made', async () => {
  const base = await serve((_q, r) => {
    r.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
    r.end();
  });
  const { result: r, requests, sockets, blocked } = await watched(() => httpGet(`${base}/metrics`, opts));
  assert.deepEqual(blocked, [], 'no connection to 169.254.169.254 was even attempted');
  assert.ok(!r.ok && r.kind === 'redirects', JSON.stringify(r));
  assert.match(r.message, /another host, http:\/\/169\.254\.169\.254\/latest\/meta-data\//);
  assert.deepEqual(requests, [`127.0.0.1/metrics`], 'one request: the one to the URL given');
  assert.equal(sockets, 1, 'one socket: the one to the URL given');
});

test('a redirect to file: or to another scheme is a bad answer naming where it pointed, not a bad URL', async () => {
  const base = await serve((req, res) => {
    res.writeHead(302, { location: req.url === '/file' ? 'file:///etc/passwd' : req.url === '/ftp' ? 'ftp://127.0.0.1/metrics' : `https://${req.headers.host}/metrics` });
    res.end();
  });
  const file = await httpGet(`${base}/file`, opts);
  assert.ok(!file.ok && file.kind === 'redirects', JSON.stringify(file));
  assert.match(file.message, /redirected to file:\/\/\/etc\/passwd, which is not an http:\/\/ URL/);
  const ftp = await httpGet(`${base}/ftp`, opts);
  assert.ok(!ftp.ok && ftp.kind === 'redirects' && /ftp:\/\/127\.0\.0\.1\/metrics/.test(ftp.message), JSON.stringify(ftp));
  const tls = await httpGet(`${base}/tls`, opts);
  assert.ok(!tls.ok && tls.kind === 'redirects', JSON.stringify(tls));
  assert.match(tls.message, /redirected to another scheme, https:\/\//);
});

test('redirects within the same host and port: at most 5 followed, each reported', async () => {
  const base = await serve((req, res) => {
    const n = Number(req.url!.slice(1));
    if (n > 0) {
      res.writeHead(302, { location: `/${n - 1}` });
      res.end();
    } else {
      res.end('up 1\n');
    }
  });
  const five = await httpGet(`${base}/5`, opts);
  assert.ok(five.ok, JSON.stringify(five));
  if (five.ok) assert.deepEqual(five.redirects, [4, 3, 2, 1, 0].map((n) => `${base}/${n}`));
  const six = await httpGet(`${base}/6`, opts);
  assert.ok(!six.ok && six.kind === 'redirects' && /more than 5 redirects \(last to http:\/\/127\.0\.0\.1:\d+\/0\)/.test(six.message), JSON.stringify(six));
});

test('a server that closes after a redirect without "Connection: close": the next request has its own connection', async () => {
  // It answers one request per connection and then closes it a little later, without saying so:
  // a keep-alive client sends the redirect's request down that dying socket (ECONNRESET).
  const sockets: Socket[] = [];
  const tcp = createTcpServer((s) => {
    sockets.push(s);
    s.once('data', (d) => {
      const path = d.toString('latin1').split(' ')[1];
      if (path === '/metrics') {
        s.write('HTTP/1.1 302 Found\r\nLocation: /metrics/\r\nContent-Length: 0\r\n\r\n');
        setTimeout(() => s.destroy(), 30);
      } else {
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n');
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  servers.push({ close: () => { sockets.forEach((s) => s.destroy()); tcp.close(); } });
  const a = tcp.address();
  const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const r = await httpGet(`${base}/metrics`, opts);
  assert.ok(r.ok, JSON.stringify(r));
  if (r.ok) {
    assert.equal(r.body, 'up 1\n');
    assert.deepEqual(r.redirects, [`${base}/metrics/`]);
  }
  assert.equal(sockets.length, 2, 'two requests, two connections');
});

/** A TCP server that answers whatever it is sent with `reply`, then closes. */
async function rawPeer(reply: Buffer | string): Promise<number> {
  const held: Socket[] = [];
  const tcp = createTcpServer((s) => {
    held.push(s);
    s.once('data', () => s.end(reply));
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  servers.push({ close: () => { held.forEach((s) => s.destroy()); tcp.close(); } });
  const a = tcp.address();
  return typeof a === 'object' && a ? a.port : 0;
}

test('a peer that does not speak HTTP: one line saying so, not an llhttp code', async () => {
  const ssh = await rawPeer('SSH-2.0-OpenSSH_9.6\r\n');
  const r = await httpGet(`http://127.0.0.1:${ssh}/metrics`, opts);
  assert.ok(!r.ok && r.kind === 'not-http', JSON.stringify(r));
  assert.equal(r.message, `127.0.0.1:${ssh} answered, but not with HTTP (it sent "SSH-2.0-OpenSSH_9.6"): is this the metrics port?`);
  // An HTTP/2-only server (what a gRPC port is), a real one.
  const h2 = createHttp2Server();
  await new Promise<void>((res) => h2.listen(0, '127.0.0.1', res));
  servers.push({ close: () => h2.close() });
  const a = h2.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const g = await httpGet(`http://127.0.0.1:${port}/metrics`, opts);
  assert.ok(!g.ok && g.kind === 'not-http', JSON.stringify(g));
  assert.match(g.message, /answered, but not with HTTP \(it answered with HTTP\/2 frames: a gRPC port\?\)/);
  for (const m of [r.message, g.message]) assert.doesNotMatch(m, /HPE_|Parse Error|\n/);
});

test('https:// on a plain HTTP port: one line saying it does not speak TLS, not an OpenSSL dump', async () => {
  const plain = await serve((_q, r) => r.end('up 1\n'));
  const url = plain.replace('http:', 'https:');
  const r = await httpGet(`${url}/metrics`, opts);
  assert.ok(!r.ok && r.kind === 'tls', JSON.stringify(r));
  assert.match(r.message, new RegExp(`^${url.slice('https://'.length)} does not speak TLS .*: a plain HTTP port\\? try ${plain}/metrics$`));
  assert.doesNotMatch(r.message, /SSL routines|EPROTO|openssl|\n/);
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
