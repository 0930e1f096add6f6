// HTTP GET for metrics endpoints, with the limits a scraper needs: a timeout for the whole
// request, a body limit (applied after gunzip too: a small gzip can inflate to gigabytes),
// redirects followed only within the URL's own scheme, host and port, a few times, and reported,
// and errors as data (one line each), not exceptions.
import type { IncomingMessage } from 'node:http';
import { http, https, zlib } from './builtins.js';
import { oneLine } from '../model/text.js';
import { monotonicMs } from './clock.js';

export type HttpFailure =
  | { kind: 'bad-url'; message: string }
  | { kind: 'refused'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string }
  | { kind: 'redirects'; message: string }
  | { kind: 'not-http'; message: string }
  | { kind: 'tls'; message: string }
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
  /** Redirects followed before giving up (default MAX_REDIRECTS). */
  maxRedirects?: number;
}

/** Redirects followed at most, as Prometheus' scrape client (and Go's http.Client) does: 10 there, 5 here. */
export const MAX_REDIRECTS = 5;

function fail(url: string, t0: number, f: HttpFailure): HttpResult {
  return { ok: false, url, durationMs: monotonicMs() - t0, ...f };
}

/**
 * GET a URL. Redirects are followed only to the same scheme, host and port as the URL given (its
 * origin), at most `maxRedirects` times: a metrics endpoint has no business sending the scraper to
 * another host (169.254.169.254, an external address) or another local port, and a redirect to
 * `file:` or any other scheme is refused. Both are checked before anything is connected to.
 * Each request has its own connection (no keep-alive), so a server that closes after answering a
 * redirect, without saying `Connection: close`, cannot break the next request.
 */
export async function httpGet(rawUrl: string, opts: HttpGetOptions): Promise<HttpResult> {
  const t0 = monotonicMs();
  const deadline = t0 + opts.timeoutMs;
  const redirects: string[] = [];
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    return fail(rawUrl, t0, { kind: 'bad-url', message: `"${oneLine(rawUrl)}" is not a URL: expected http://HOST:PORT/PATH` });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return fail(rawUrl, t0, { kind: 'bad-url', message: `"${oneLine(rawUrl)}": expected an http:// or https:// URL` });
  }
  const origin = parsed.origin;
  let url = rawUrl;
  for (;;) {
    const r = await getOnce(parsed, opts, deadline, t0);
    if (!('redirect' in r)) {
      if (r.ok) return { ...r, url, redirects };
      return r;
    }
    const from = `HTTP ${r.status} from ${url}`;
    let next: URL;
    try {
      next = new URL(r.redirect, parsed);
    } catch {
      return fail(url, t0, { kind: 'redirects', message: `redirected to "${oneLine(r.redirect)}", which is not a URL (${from})` });
    }
    const to = oneLine(next.toString());
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      return fail(url, t0, { kind: 'redirects', message: `redirected to ${to}, which is not an http:// URL (${from}): not followed` });
    }
    if (next.origin !== origin) {
      return fail(url, t0, {
        kind: 'redirects',
        message: `redirected to another ${next.protocol !== parsed.protocol && next.host === parsed.host ? 'scheme' : next.hostname === parsed.hostname ? 'port' : 'host'}, ${to} (${from}): only redirects within ${origin} are followed; give that URL itself if it is the one meant`,
      });
    }
    if (redirects.length >= maxRedirects) {
      return fail(url, t0, { kind: 'redirects', message: `more than ${maxRedirects} redirects (last to ${to})` });
    }
    url = next.toString();
    redirects.push(url);
    parsed = next;
  }
}

type Once = HttpResult | { redirect: string; status: number };

function getOnce(url: URL, opts: HttpGetOptions, deadline: number, t0: number): Promise<Once> {
  return new Promise((resolve) => {
    const remaining = Math.max(1, deadline - monotonicMs());
    let settled = false;
    const done = (v: Once) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const req = (url.protocol === 'https:' ? https().request : http().request)(url, {
      method: 'GET',
      // No keep-alive agent: a connection is never reused between the requests of one scrape (or
      // of two). Node 20's global agent keeps sockets alive, and a server that answers a redirect
      // and then closes without `Connection: close` left the next request on a dead socket.
      agent: false,
      headers: { 'accept-encoding': 'gzip', 'user-agent': 'rerun-doctor', ...opts.headers },
    });
    const timer = setTimeout(() => {
      done(fail(url.toString(), t0, { kind: 'timeout', message: `no complete answer within ${(opts.timeoutMs / 1000).toFixed(1)} s` }));
      req.destroy();
    }, remaining);
    req.on('error', (e: NodeJS.ErrnoException) => done(fail(url.toString(), t0, requestFailure(url, e))));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        done({ redirect: res.headers.location, status });
        req.destroy();
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
        const gunzip = zlib().createGunzip();
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
          durationMs: monotonicMs() - t0,
        });
      });
      res.on('error', (e) => done(fail(url.toString(), t0, { kind: 'network', message: `the connection broke: ${oneLine(e.message)}` })));
      res.on('aborted', () => done(fail(url.toString(), t0, { kind: 'network', message: 'the server closed the connection before the answer was complete' })));
    });
    req.end();
  });
}

export function formatMiB(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/** Certificate problems as Node names them (the peer speaks TLS, but is not trusted). */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** OpenSSL's reasons when what answered a ClientHello was not TLS at all (a plain HTTP port, most often). */
const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol|record layer failure/i;

/**
 * A request error as one line that says what the peer is or is not, never a raw llhttp code or
 * an OpenSSL dump. The caller names the URL; the messages name the host and port.
 */
function requestFailure(url: URL, e: NodeJS.ErrnoException & { rawPacket?: unknown; reason?: unknown }): HttpFailure {
  const code = e.code ?? '';
  const where = url.host;
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: `connection refused: nothing listens on ${where}` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'network', message: `cannot resolve ${url.hostname}` };
  if (code.startsWith('HPE_')) {
    return { kind: 'not-http', message: `${where} answered, but not with HTTP${peerHint(e.rawPacket)}: is this the metrics port?` };
  }
  if (CERT_CODES.has(code)) return { kind: 'tls', message: `the TLS certificate of ${where} is not trusted (${code})` };
  const tlsReason = opensslReason(e);
  if (tlsReason !== null) {
    if (NOT_TLS.test(tlsReason)) {
      const plain = new URL(url.toString());
      plain.protocol = 'http:';
      return { kind: 'tls', message: `${where} does not speak TLS (its answer to the https:// handshake is not TLS: "${tlsReason}"): a plain HTTP port? try ${plain.toString()}` };
    }
    return { kind: 'tls', message: `the TLS handshake with ${where} failed: ${tlsReason}` };
  }
  if (code === 'ECONNRESET') return { kind: 'network', message: `${where} closed the connection without answering` };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { kind: 'network', message: `no route to ${where}` };
  return { kind: 'network', message: `${code || 'error'}: ${oneLine(e.message)}` };
}

/**
 * The reason of a TLS error: Node's `reason` when it sets one, else the reason field of an
 * OpenSSL error line (`…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:`).
 * null when the error is not a TLS one.
 */
function opensslReason(e: NodeJS.ErrnoException & { reason?: unknown }): string | null {
  const code = e.code ?? '';
  const m = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):/.exec(e.message);
  if (m) return m[1]!.trim();
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return typeof e.reason === 'string' && e.reason !== '' ? e.reason : oneLine(e.message);
  return null;
}

/** What the bytes a non-HTTP peer sent look like, for the one line. */
function peerHint(raw: unknown): string {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return '';
  if ((raw[0] === 0x15 || raw[0] === 0x16) && raw[1] === 0x03) return ' (it answered with TLS: an https:// port?)';
  // An HTTP/2 frame header: 3 bytes of length, then SETTINGS (4) or GOAWAY (7); what a gRPC port sends.
  if (raw.length >= 9 && (raw[3] === 0x04 || raw[3] === 0x07) && raw[0] === 0) return ' (it answered with HTTP/2 frames: a gRPC port?)';
  const text = raw.subarray(0, 40).toString('latin1');
  return ` (it sent ${JSON.stringify(oneLine(text))}${raw.length > 40 ? '…' : ''})`;
}
