// HTTP GET for metrics endpoints, with the limits a scraper needs: a timeout for the whole
// request, a body limit (applied after gunzip too: a small gzip can inflate to gigabytes),
// redirects followed a few times and reported, and errors as data, not exceptions.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';

export type HttpFailure =
  | { kind: 'bad-url'; message: string }
  | { kind: 'refused'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string }
  | { kind: 'redirects'; message: string }
  | { kind: 'too-large'; message: string }
  | { kind: 'bad-encoding'; message: string };

export interface HttpResponse {
  ok: true;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: string[];
  status: number;
  contentType: string | null;
  contentEncoding: string | null;
  body: string;
  /** Bytes on the wire and after decoding. */
  wireBytes: number;
  bytes: number;
  durationMs: number;
}

export type HttpResult = HttpResponse | ({ ok: false; url: string; durationMs: number } & HttpFailure);

export interface HttpGetOptions {
  timeoutMs: number;
  maxBytes: number;
  headers?: Record<string, string>;
  maxRedirects?: number;
}

function fail(url: string, t0: number, f: HttpFailure): HttpResult {
  return { ok: false, url, durationMs: performance.now() - t0, ...f };
}

export async function httpGet(rawUrl: string, opts: HttpGetOptions): Promise<HttpResult> {
  const t0 = performance.now();
  const deadline = t0 + opts.timeoutMs;
  const redirects: string[] = [];
  let url = rawUrl;
  for (let hop = 0; ; hop++) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(url, t0, { kind: 'bad-url', message: `"${url}" is not a URL: expected http://HOST:PORT/PATH` });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return fail(url, t0, { kind: 'bad-url', message: `"${url}": expected an http:// or https:// URL` });
    }
    const r = await getOnce(parsed, opts, deadline, t0);
    if (!('redirect' in r)) {
      if (r.ok) return { ...r, url, redirects };
      return r;
    }
    if (hop >= (opts.maxRedirects ?? 5)) {
      return fail(url, t0, { kind: 'redirects', message: `more than ${opts.maxRedirects ?? 5} redirects (last to ${r.redirect})` });
    }
    const next = new URL(r.redirect, parsed).toString();
    redirects.push(next);
    url = next;
  }
}

type Once = HttpResult | { redirect: string };

function getOnce(url: URL, opts: HttpGetOptions, deadline: number, t0: number): Promise<Once> {
  return new Promise((resolve) => {
    const remaining = Math.max(1, deadline - performance.now());
    let settled = false;
    const done = (v: Once) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { 'accept-encoding': 'gzip', 'user-agent': 'rerun-doctor', ...opts.headers },
    });
    const timer = setTimeout(() => {
      done(fail(url.toString(), t0, { kind: 'timeout', message: `no complete answer within ${(opts.timeoutMs / 1000).toFixed(1)} s` }));
      req.destroy();
    }, remaining);
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') done(fail(url.toString(), t0, { kind: 'refused', message: `connection refused: nothing listens on ${url.host}` }));
      else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') done(fail(url.toString(), t0, { kind: 'network', message: `cannot resolve ${url.hostname}` }));
      else done(fail(url.toString(), t0, { kind: 'network', message: `${e.code ?? 'error'}: ${e.message}` }));
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        done({ redirect: res.headers.location });
        return;
      }
      const enc = (res.headers['content-encoding'] ?? '').toLowerCase() || null;
      const chunks: Buffer[] = [];
      let wire = 0;
      let size = 0;
      const tooLarge = () => {
        done(fail(url.toString(), t0, { kind: 'too-large', message: `the answer is larger than ${formatMiB(opts.maxBytes)} (set --max-bytes to read it)` }));
        req.destroy();
      };
      res.on('data', (c: Buffer) => {
        wire += c.length;
        if (wire > opts.maxBytes) tooLarge();
      });
      let stream: NodeJS.ReadableStream = res;
      if (enc === 'gzip' || enc === 'x-gzip') {
        const gunzip = createGunzip();
        gunzip.on('error', (e) => {
          done(fail(url.toString(), t0, { kind: 'bad-encoding', message: `the gzip-encoded answer is corrupt: ${e.message}` }));
          req.destroy();
        });
        stream = res.pipe(gunzip);
      } else if (enc !== null && enc !== 'identity') {
        res.resume();
        done(fail(url.toString(), t0, { kind: 'bad-encoding', message: `unsupported Content-Encoding "${enc}"` }));
        return;
      }
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) {
          tooLarge();
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () => {
        done({
          ok: true,
          url: url.toString(),
          redirects: [],
          status,
          contentType: res.headers['content-type'] ?? null,
          contentEncoding: enc,
          body: Buffer.concat(chunks).toString('utf8'),
          wireBytes: wire,
          bytes: size,
          durationMs: performance.now() - t0,
        });
      });
      res.on('error', (e) => done(fail(url.toString(), t0, { kind: 'network', message: `the connection broke: ${e.message}` })));
      res.on('aborted', () => done(fail(url.toString(), t0, { kind: 'network', message: 'the server closed the connection before the answer was complete' })));
    });
    req.end();
  });
}

export function formatMiB(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
