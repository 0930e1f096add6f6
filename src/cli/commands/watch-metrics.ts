// watch metrics: scrape every interval, difference against the last good scrape, show and record.
import { createMetricsSampler, forView } from '../../watch/metrics-sampler.js';
import { metricsLine, metricsView } from '../../render/watch-metrics.js';
import type { Style } from '../../render/style.js';
import type { Context } from '../context.js';
import { version } from '../../version.js';
import { scrapeSettings } from './metrics.js';

import type { MetricsSample } from '../../model/metrics-sample.js';

export function metricsWatcher(ctx: Context, url: string, values: Record<string, unknown>, o: { style: Style; intervalMs: number; width?: number }) {
  const settings = scrapeSettings(values as never, ctx);
  const sampler = createMetricsSampler(ctx.host, url, settings, ctx.config.keyMetrics);
  return {
    sampler,
    header: { kind: 'metrics', tool: `rerun-doctor ${version()}`, url, intervalMs: o.intervalMs, timeoutMs: settings.timeoutMs, maxSeries: settings.maxSeries },
    watcher: {
      sample: () => sampler.sample(),
      line: (r: unknown) => metricsLine(r as MetricsSample),
      // The width the view is drawn for: the terminal's now (watch passes it), else o.width, else 100.
      view: (h: unknown[], width = o.width ?? 100) => metricsView(h as MetricsSample[], { ...o, width, url, maxSeries: settings.maxSeries }),
      record: (r: unknown) => ({ type: 'metrics', ...(r as object) }),
      retain: (r: unknown) => forView(r as MetricsSample),
    },
  };
}
