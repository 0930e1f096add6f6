// The exporter's HTTP side: GET /metrics from the collector's cache (Prometheus text or
// OpenMetrics, by the scraper's Accept header), GET / a short page that links to it. Nothing else:
// no other path, no method but GET and HEAD, no request body read. It never collects: a scrape
// costs a string copy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES, type ExpositionFormat } from './exposition.js';
import type { Collector } from './collector.js';
import { version } from '../version.js';

/**
 * The format a scraper asked for (RFC 9110 §12.5.1 weights): OpenMetrics when
 * `application/openmetrics-text` weighs more than `text/plain` (Prometheus 2.x sends
 * `application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`),
 * the text format otherwise (curl's `*\/*`, no header).
 */
export function negotiate(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((x) => x.trim());
    const q = params.map((p) => /^q=([0-9.]+)$/i.exec(p)).find((m) => m !== null);
    const weight = q ? Number(q[1]) : 1;
    const t = (type ?? '').toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, weight);
    else if (t === 'text/plain' || t === 'text/*' || t === '*/*') text = Math.max(text, weight);
  }
  return om > 0 && om > text ? 'openmetrics' : 'text';
}

const PAGE = (path: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rerun-doctor exporter</title></head>
<body><h1>rerun-doctor exporter</h1>
<p>rerun-doctor ${version()}: orphans, leaked shared memory, GPU memory held by dead runs, ports and findings of this host, for Prometheus.</p>
<p><a href="${path}">Metrics</a> (docs/exporter.md lists them).</p>
</body></html>
`;

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function exporterServer(collector: Collector): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, req, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    if (path === '/') return send(res, req, 200, 'text/html; charset=utf-8', PAGE('/metrics'));
    if (path !== '/metrics') return send(res, req, 404, 'text/plain; charset=utf-8', 'not found: try /metrics\n');
    const cur = collector.current();
    if (cur === null) return send(res, req, 503, 'text/plain; charset=utf-8', 'the first collection has not finished yet\n', { 'retry-after': '1' });
    const format = negotiate(req.headers.accept);
    send(res, req, 200, CONTENT_TYPES[format], format === 'openmetrics' ? cur.openmetrics : cur.text);
  });
  // A scraper that opens a connection and sends nothing is dropped, not kept.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
