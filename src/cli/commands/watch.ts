import type { Census } from '../../model/census.js';
import { makeStyle } from '../../render/style.js';
import { procLine, procView } from '../../render/watch-procs.js';
import { openRecorder, type Recorder } from '../../watch/record.js';
import { createProcSampler } from '../../watch/proc-sampler.js';
import { History } from '../../watch/history.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext, type Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { version } from '../../version.js';
import { COLOR_FLAGS, SCRAPE_FLAGS } from '../shared-flags.js';
import { loadFit, outputWidth, type Fit } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { parseUrl } from '../../config/flag-values.js';
import { scrapeSettings } from './metrics.js';

export const spec = defineCommand({
  name: 'watch',
  usage: ['watch metrics [URL] [options]', 'watch procs [options]'],
  about: `Sample the server's metrics, or its processes, every 2 seconds until Ctrl-C.

  metrics   per-interval values, not totals since start: counter rates, the interval mean and
            p95 of histograms from bucket deltas (tokenize time, request latency first); a
            restarted server's counter reset is not shown as a negative rate. URL defaults to
            "metrics-url" in the config, else http://127.0.0.1:8080/metrics.
  procs     servers, workers and helpers by count, CPU% and RSS; orphans; processes that
            appeared or vanished since the last sample.

On a terminal the view is redrawn in place, with sparklines, fitted to the terminal's width
(and redrawn when the window is resized); otherwise one line per sample (key=value, easy to
grep). A failed sample (server down, restarting) is shown as a gap with its reason, and
watching goes on. With --json, the records --record writes are printed on
stdout instead of lines or the live view (NDJSON, docs/watch.md).`,
  flags: {
    interval: configFlag('interval'),
    count: { type: 'string', value: 'N', help: 'stop after N samples' },
    duration: { type: 'string', value: 'D', help: 'stop after D (e.g. 30s, 5m)' },
    record: { type: 'string', value: 'FILE', help: 'append every sample to FILE as NDJSON (docs/watch.md)' },
    ...SCRAPE_FLAGS,
    ...COLOR_FLAGS,
  },
  common: true,
  positionals: { choices: ['metrics', 'procs'] },
  examples: [
    { run: 'rerun-doctor watch metrics', does: 'tokenize time, request latency and the rest, live, every 2 s' },
    { run: 'rerun-doctor watch procs --interval 500ms --record procs.ndjson', does: 'the processes twice a second, every sample kept for a later look' },
    { run: 'rerun-doctor watch metrics http://127.0.0.1:9100/metrics --duration 5m | grep p95', does: 'five minutes of one line per sample, filtered' },
    { run: 'rerun-doctor watch procs --count 10 --json', does: 'ten samples as NDJSON records' },
  ],
  exit: 'Exit status: 0 when stopped (Ctrl-C, --count, --duration), 2 usage error.',
});

/** The project's processes of a census, as recorded (docs/watch.md). */
function censusRecord(c: Census | null) {
  if (!c) return [];
  return c.processes
    .filter((p) => p.role !== null)
    .map((p) => ({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, role: p.role, kind: p.kind, orphan: p.orphan, zombie: p.zombie, generation: p.generation, startTime: p.startTime, cpuSeconds: p.cpuSeconds, rssBytes: p.rssBytes, argv: p.argv }));
}

interface Watcher<R> {
  sample(): Promise<R>;
  line(r: R): string;
  /** The live view for a terminal `width` columns wide. */
  view(history: readonly R[], width: number): string;
  record(r: R): object;
  /** What the history keeps of a sample once it is shown and recorded (default: all of it). */
  retain?(r: R): R;
}


export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [what, ...rest] = positionals;
  if (what !== 'metrics' && what !== 'procs') throw new UsageError(`watch: expected "metrics" or "procs"${what === undefined ? '' : `, got "${what}"`}`);
  if (what === 'procs' && rest.length > 0) throw new UsageError(`watch procs: unexpected argument "${rest[0]}"`);
  if (rest.length > 1) throw new UsageError(`watch metrics: expected at most one URL, got "${rest.join(' ')}"`);
  const ctx = makeContext(values, io);
  const intervalMs = values.interval !== undefined ? parseDuration(values.interval, '--interval', { minMs: 100 }) : ctx.config.thresholds.watchIntervalSeconds * 1000;
  let count: number | null = null;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count "${values.count}" is not a sample count: expected an integer ≥ 1`);
  }
  const durationMs = values.duration !== undefined ? parseDuration(values.duration, '--duration') : null;
  // The scrape's flags and the URL are checked for procs too: a mistake is said, not ignored.
  scrapeSettings(values, ctx);
  if (what === 'metrics' && rest[0] !== undefined) parseUrl(rest[0], 'watch metrics URL');
  const style = makeStyle(useColor(io, values));

  let watcher: Watcher<unknown>;
  let header: object;
  if (what === 'procs') {
    const sampler = createProcSampler(ctx.host, ctx.classify);
    watcher = {
      sample: () => sampler.sample(),
      line: (r) => procLine(r as never),
      view: (h, width) => procView(h as never, { style, width, intervalMs }),
      // The census behind the sample too (the project's processes), so a later diagnosis can replay it.
      record: (r) => ({ type: 'procs', ...(r as object), processes: (r as { ok: boolean }).ok ? censusRecord(sampler.latest()) : [] }),
    } as Watcher<unknown>;
    header = { kind: 'procs', tool: `rerun-doctor ${version()}`, intervalMs, ports: ctx.classify.ports, serverPattern: ctx.classify.serverPattern.source };
  } else {
    const { metricsWatcher } = await import('./watch-metrics.js');
    const url = rest[0] ?? ctx.config.metricsUrl;
    const w = metricsWatcher(ctx, url, values, { style, intervalMs });
    watcher = w.watcher;
    header = w.header;
  }
  // The live view: on a terminal, unless --json. Its fitting is loaded before the first sample.
  const live = !ctx.json && io.isTTY ? liveView(io, watcher, await loadFit()) : null;
  return watchLoop(io, watcher, { intervalMs, count, durationMs, recordPath: values.record ?? null, header, ctx, live });
}

/**
 * The view redrawn in place at any width: each frame fitted to the columns (lines wrapped,
 * src/render/fit.ts), and no taller than the screen less a row (the cursor cannot go up into
 * lines scrolled off it); the next frame moves up over the rows the last one took (each line's
 * display width over the columns, rounded up) and clears from there down. After a resize the
 * old frame's rows are not known (a terminal may reflow its lines, or cut them): the screen is
 * cleared and the frame drawn from the top, at once.
 */
function liveView(io: Io, w: Watcher<unknown>, fit: Fit) {
  let rows = 0;
  let items: readonly unknown[] = [];
  const draw = (fromTop: boolean) => {
    const columns = outputWidth(io) ?? 100;
    let frame = fit.wrapText(w.view(items, columns), columns);
    const height = io.size?.().rows;
    const lines = frame.split('\n');
    if (height !== undefined && height > 1 && lines.length - 1 > height - 1) frame = lines.slice(0, height - 1).join('\n') + '\n';
    const up = fromTop ? '\u001b[H\u001b[2J' : rows > 0 ? `\u001b[${rows}A\r\u001b[J` : '';
    io.stdout(up + frame);
    rows = fit.physicalRows(frame, columns);
  };
  return {
    show(history: readonly unknown[]) {
      items = history;
      draw(false);
    },
    /** Redraws on every resize until the returned function is called. */
    follow(): () => void {
      return io.onResize?.(() => (rows > 0 ? draw(true) : undefined)) ?? (() => {});
    },
  };
}

async function watchLoop(io: Io, w: Watcher<unknown>, o: { intervalMs: number; count: number | null; durationMs: number | null; recordPath: string | null; header: object; ctx: Context; live: ReturnType<typeof liveView> | null }): Promise<number> {
  const recorder: Recorder | null = o.recordPath ? openRecorder(o.recordPath, { startedAt: o.ctx.host.now().toISOString(), ...o.header }) : null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const history = new History<unknown>(w.retain ? (r) => w.retain!(r) : undefined);
  const unfollow = o.live?.follow() ?? (() => {});
  const start = Date.now();
  try {
    for (let i = 0; !stopped; i++) {
      const due = start + i * o.intervalMs;
      const r = await w.sample();
      recorder?.write(w.record(r));
      // The history keeps what the view needs, not every series of every sample (`retain`).
      history.push(r);
      if (o.ctx.json) {
        // --json: the records themselves, one per line (NDJSON, as --record writes them).
        io.stdout(JSON.stringify(w.record(r)) + '\n');
      } else if (o.live) {
        o.live.show([...history.items]);
      } else {
        io.stdout(w.line(r) + '\n');
      }
      if (stopped || (o.count !== null && i + 1 >= o.count)) break;
      // Behind schedule (a slow sample): the next one is an interval from now, not a burst to catch up.
      const next = Math.max(due + o.intervalMs, Date.now());
      if (o.durationMs !== null && next - start >= o.durationMs) break;
      const wait = Math.max(0, next - Date.now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    unfollow();
    recorder?.close();
  }
  return EXIT.ok;
}
