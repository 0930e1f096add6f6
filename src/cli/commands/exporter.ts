import { isIP } from 'node:net';
import { createCollector } from '../../exporter/collector.js';
import { exporterServer, listen } from '../../exporter/server.js';
import { evidencePlan } from '../../evidence/plan.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { parseCommandArgs } from '../parse.js';

export const DEFAULT_LISTEN = '127.0.0.1:9464';
const MIN_INTERVAL_MS = 1_000;

export const spec = defineCommand({
  name: 'exporter',
  usage: ['exporter [--listen 127.0.0.1:9464] [--interval 15s] [--all-projects] [options]', 'exporter --once [options]'],
  about: `A Prometheus exporter for this host: serves /metrics (Prometheus text or OpenMetrics, as the
scraper asks) with the project's processes by role and run status, orphans, the process count
against 1 + N, who holds the watched ports, GPU memory and shared memory held by dead runs, every
active finding of the diagnosis, thermal state, and each probe's success and duration
(docs/exporter.md). It collects on its own schedule, at most once per --interval, and serves the
last collection from memory: a scrape never takes a census. It reads; it never signals anything,
and no command line or environment value is ever a label. Listens on 127.0.0.1 unless --listen
names another address. --once prints one exposition to stdout and exits (node_exporter's textfile
collector; tests). The server's own metrics are not read: Prometheus scrapes those itself.`,
  flags: {
    listen: { type: 'string', value: 'HOST:PORT', help: 'the address to serve on ([::1]:9464 for IPv6; 0.0.0.0:9464 to be reached from other hosts)', defaultText: DEFAULT_LISTEN },
    interval: { type: 'string', value: 'D', help: 'time between collections, at least 1s', defaultText: '15s' },
    once: { type: 'boolean', help: 'collect once, print the exposition (Prometheus text format) and exit' },
    'all-projects': { type: 'boolean', help: "every run counts as the project's (a fleet host's exporter: any server here is one to watch)" },
  },
  common: true,
  examples: [
    { run: 'rerun-doctor exporter --all-projects', does: 'serve http://127.0.0.1:9464/metrics, a collection every 15 s' },
    { run: 'rerun-doctor exporter --once --all-projects > /var/lib/node_exporter/rerun_doctor.prom.$$ && mv …', does: "one exposition for node_exporter's textfile collector" },
    { run: 'rerun-doctor exporter --listen 0.0.0.0:9464 --interval 30s --instances 4', does: 'reachable from the Prometheus server; 1 + 4 processes expected per server' },
  ],
  exit: `Exit status: 0 stopped by SIGTERM or SIGINT (or --once done), 2 usage error (a bad --listen,
the address in use) or, with --once, a collection that failed.`,
});

/** "HOST:PORT" or "[V6]:PORT" → host and port; the host must be an IP address. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const bad = `--listen "${text}": expected HOST:PORT with an IP address, e.g. ${DEFAULT_LISTEN} or [::1]:9464`;
  if (!m) throw new UsageError(bad);
  const host = m[1]!;
  const port = Number(m[2]);
  if (isIP(host) === 0) throw new UsageError(bad);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen "${text}": port ${m[2]} is not 0-65535`);
  return { host, port };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const where = parseListen(values.listen ?? DEFAULT_LISTEN);
  const intervalMs = values.interval !== undefined ? parseDuration(values.interval, '--interval', { minMs: MIN_INTERVAL_MS }) : 15_000;
  if (values.once && values.listen !== undefined) throw new UsageError('--listen cannot be used with --once: --once prints to stdout and serves nothing');
  const ctx = makeContext(values, io);
  const classify = values['all-projects'] ? { ...ctx.classify, projectRoot: null } : ctx.classify;
  const plan = evidencePlan(ctx.config, ctx.root, classify, ctx.host.env, { samples: 0, intervalMs: 0, metrics: false });
  plan.metricsOff = "not read by the exporter (Prometheus scrapes the server's metrics itself)";
  const collector = createCollector(ctx.host, {
    plan,
    rules: ruleSettingsOf(ctx, io),
    intervalMs,
    onError: (m) => io.stderr(`rerun-doctor exporter: collection failed: ${m}\n`),
  });
  if (values.once) {
    const first = await collector.collectOnce();
    io.stdout(first.text);
    return collector.stats().errors > 0 ? EXIT.usage : EXIT.ok;
  }
  const server = exporterServer(collector);
  let shown: string;
  try {
    // Listening first: an address in use is said at once, before any collection.
    const addr = await listen(server, where.host, where.port);
    shown = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--listen "${values.listen ?? DEFAULT_LISTEN}": cannot listen: ${code === 'EADDRINUSE' ? 'the address is in use' : code === 'EADDRNOTAVAIL' ? 'no such address on this host' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  // Until the first collection is cached, /metrics answers 503 (Retry-After: 1).
  await collector.start();
  io.stderr(`rerun-doctor exporter: serving ${shown}, a collection every ${intervalMs / 1000} s\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  collector.stop();
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
  return EXIT.ok;
}
