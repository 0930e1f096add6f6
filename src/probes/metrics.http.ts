// One scrape of a metrics endpoint: GET with Prometheus' content negotiation, then parse.
// Every failure is a value with a kind, a one-line message and (for a malformed body) the line.
import type { Host } from '../host/host.js';
import { detach, oneLine } from '../model/text.js';
import type { Exposition, ExpositionFormat } from '../model/metrics.js';
import { ExpositionError, formatFromContentType, parseExposition } from '../os/any/prom-text.js';

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

// Prometheus' own scrape Accept header (scrape/scrape.go, acceptHeader): OpenMetrics first.
const ACCEPT_ANY = 'application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const ACCEPT: Record<ExpositionFormat | 'any', string> = {
  any: ACCEPT_ANY,
  'openmetrics-1.0.0': 'application/openmetrics-text;version=1.0.0,*/*;q=0.1',
  'prometheus-0.0.4': 'text/plain;version=0.0.4,*/*;q=0.1',
};

import type { ScrapeFailureKind } from '../model/metrics.js';

export type { ScrapeFailureKind } from '../model/metrics.js';

export type ScrapeResult =
  | {
      ok: true;
      url: string;
      takenAt: string;
      format: ExpositionFormat;
      exposition: Exposition;
      contentType: string | null;
      redirects: string[];
      bytes: number;
      wireBytes: number;
      durationMs: number;
      /** The first lines of the body, as served (for the evidence bundle). */
      head: string;
    }
  | { ok: false; url: string; takenAt: string; kind: ScrapeFailureKind; message: string; line?: number; durationMs: number };

export interface ScrapeOptions {
  timeoutMs?: number;
  maxBytes?: number;
  prefer?: ExpositionFormat | 'any';
  /**
   * Series summarised per scrape (thresholds.metrics-max-series). Not used by the GET: it travels
   * with the scrape's settings to whatever summarises it (src/watch/metrics-sampler.ts, `metrics`).
   */
  maxSeries?: number;
}

/** Exit status per failure kind (docs/metrics.md): 3 unreachable, 4 a bad answer, 5 a malformed body. */
export const SCRAPE_EXIT: Record<ScrapeFailureKind, number> = {
  'bad-url': 2,
  refused: 3,
  timeout: 3,
  network: 3,
  redirects: 4,
  'not-http': 4,
  tls: 4,
  'too-large': 4,
  'bad-encoding': 4,
  'http-status': 4,
  'not-metrics': 4,
  malformed: 5,
};

/** The first 40 lines of a body, each cut to 500 characters (a label value can be megabytes), as a string of its own. */
function headOf(body: string): string {
  const lines: string[] = [];
  let pos = 0;
  while (lines.length < 40 && pos < body.length) {
    let nl = body.indexOf('\n', pos);
    if (nl === -1) nl = body.length;
    const line = body.slice(pos, Math.min(nl, pos + 500));
    lines.push(nl - pos > 500 ? `${line}…(${nl - pos} chars)` : line);
    pos = nl + 1;
  }
  return detach(lines.join('\n'));
}

function looksLike(body: string, contentType: string | null): 'html' | 'json' | null {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('html')) return 'html';
  if (ct.includes('json')) return 'json';
  const head = body.slice(0, 200).trimStart();
  if (/^<(!doctype|html|head|body|\?xml)/i.test(head)) return 'html';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  return null;
}

export async function scrapeMetrics(host: Host, url: string, opts: ScrapeOptions = {}): Promise<ScrapeResult> {
  const takenAt = host.now().toISOString();
  const r = await host.http(url, {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    headers: { accept: ACCEPT[opts.prefer ?? 'any'] },
  });
  if (!r.ok) return { ok: false, url, takenAt, kind: r.kind, message: r.message, durationMs: r.durationMs };
  const via = r.redirects.length > 0 ? ` (redirected to ${r.url})` : '';
  if (r.status !== 200) {
    const first = oneLine(r.body.trim().split('\n', 1)[0]?.slice(0, 400) ?? '', 120);
    return { ok: false, url, takenAt, kind: 'http-status', message: `HTTP ${r.status}${via}${first ? `: ${first}` : ''}`, durationMs: r.durationMs };
  }
  const other = looksLike(r.body, r.contentType);
  if (other) {
    return { ok: false, url, takenAt, kind: 'not-metrics', message: `the answer${via} is ${other === 'html' ? 'an HTML page' : 'JSON'}, not Prometheus metrics: is this the metrics port and path?`, durationMs: r.durationMs };
  }
  const format = formatFromContentType(r.contentType);
  try {
    const exposition = parseExposition(r.body, format);
    const head = headOf(r.body);
    return { ok: true, url: r.url, takenAt, format, exposition, contentType: r.contentType, redirects: r.redirects, bytes: r.bytes, wireBytes: r.wireBytes, durationMs: r.durationMs, head };
  } catch (e) {
    if (e instanceof ExpositionError) {
      return { ok: false, url, takenAt, kind: "malformed", message: `malformed ${format === "openmetrics-1.0.0" ? "OpenMetrics" : "Prometheus text"}${via}: ${e.message}`, line: e.line, durationMs: r.durationMs };
    }
    throw e;
  }
}
