// watch metrics, for people: one line per sample, or the live view (a headline per key metric and
// its sparkline over the samples).
import { labelsText } from '../model/metrics.js';
import type { MetricsSample, Row } from '../model/metrics-sample.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import { duplicatesText, withUnit } from './metrics.js';
import { sparkline } from './sparkline.js';
import type { Style } from './style.js';

/** The one number a key metric is watched by: p95 for timings, a rate for counters, else the value. */
export function headline(r: Row): { value: number | undefined; text: string } {
  const isInterval = 'seconds' in r;
  if (r.type === 'histogram' || r.type === 'summary' || r.type === 'gaugehistogram') {
    const rate = isInterval && (r as IntervalSummary).rate !== undefined ? `${(r as IntervalSummary).rate!.toFixed(1)}/s ` : '';
    return { value: r.p95, text: `${rate}mean ${withUnit(r.mean, r.unit)} p95 ${withUnit(r.p95, r.unit)}` };
  }
  if (r.type === 'counter') {
    if (isInterval) return { value: (r as IntervalSummary).rate, text: `${((r as IntervalSummary).rate ?? 0).toFixed(2)}/s` };
    return { value: r.value, text: `total ${withUnit(r.value, null)}` };
  }
  return { value: r.value, text: withUnit(r.value, r.unit) };
}

/** key=value pairs for one series, for the one-line form. */
function pairs(name: string, r: Row): string[] {
  const out: string[] = [];
  const isInterval = 'seconds' in r;
  const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'NaN' : r.unit === 's' ? (v * 1000).toFixed(2) + 'ms' : r.unit === 'ms' ? v.toFixed(2) + 'ms' : String(Number(v.toFixed(4))));
  if (r.type === 'histogram' || r.type === 'summary' || r.type === 'gaugehistogram') {
    if (isInterval) out.push(`${name}.rate=${((r as IntervalSummary).rate ?? 0).toFixed(2)}/s`);
    out.push(`${name}.count=${r.count ?? 0}`, `${name}.mean=${ms(r.mean)}`, `${name}.p95=${ms(r.p95)}`);
  } else if (r.type === 'counter') {
    out.push(isInterval ? `${name}.rate=${((r as IntervalSummary).rate ?? 0).toFixed(2)}/s` : `${name}.total=${r.value}`);
  } else {
    out.push(`${name}=${r.value === undefined ? 'NaN' : Number(r.value.toFixed(4))}`);
  }
  return out;
}

/** The first few of a list, and how many more: a restart of a server with 10,000 series resets them all. */
function few(list: string[], sep: string, n = 5): string {
  return list.length <= n ? list.join(sep) : `${list.slice(0, n).join(sep)}${sep}…+${list.length - n}`;
}

export function metricsLine(s: MetricsSample): string {
  if (!s.ok) return `${s.t} metrics GAP ${s.kind} ${JSON.stringify(s.message)}`;
  const parts = [`${s.t} metrics ok`, `scrape=${s.scrapeMs.toFixed(0)}ms`];
  if (s.seconds === null) parts.push('first=totals');
  if (s.resets.length > 0) parts.push(`reset=${few(s.resets, ',')}`);
  if (s.seriesDropped) parts.push(`series=${s.seriesTotal! - s.seriesDropped}/${s.seriesTotal} dropped=${s.seriesDropped}`);
  if (s.duplicates) parts.push(`duplicates=${s.duplicates.count}`);
  for (const k of s.keys) {
    const first = k.series[0];
    if (!first) continue;
    parts.push(...pairs(k.family + labelsText(first.labels, first.labelLengths), first));
  }
  return parts.join(' ');
}

export function metricsView(history: MetricsSample[], o: { style: Style; width: number; intervalMs: number; url: string; maxSeries?: number }): string {
  const s = o.style;
  const last = history[history.length - 1];
  const out = [s.bold(`rerun-doctor watch metrics ${o.url} · every ${o.intervalMs / 1000}s · ${history.length} sample${history.length === 1 ? '' : 's'} · Ctrl-C to stop`)];
  if (!last) return out.join('\n') + '\n';
  if (!last.ok) out.push(s.red(`last sample failed (${last.kind}): ${last.message}; still watching`));
  const good = [...history].reverse().find((h): h is Extract<MetricsSample, { ok: true }> => h.ok);
  if (!good) return out.join('\n') + '\n';
  if (good.seconds === null) out.push(s.dim('first sample: totals since the server started; interval values from the next one'));
  if (good.resets.length > 0) out.push(s.yellow(`counter reset (server restarted?): ${few(good.resets, ', ')}`));
  if (good.seriesDropped) out.push(s.yellow(`series: ${good.seriesTotal! - good.seriesDropped} of ${good.seriesTotal} kept, ${good.seriesDropped} dropped (${o.maxSeries !== undefined ? `the limit is ${o.maxSeries} per scrape` : 'over the limit'}: --max-series, thresholds.metrics-max-series)`));
  if (good.duplicates) out.push(s.yellow(duplicatesText(good.duplicates)));
  const w = Math.max(10, Math.min(40, o.width - 70));
  const nameW = Math.max(...good.keys.map((k) => k.title.length));
  for (const k of good.keys) {
    const first = k.series[0];
    if (!first) continue;
    const h = headline(first);
    const trail = history.map((x) => {
      if (!x.ok || x.seconds === null) return null;
      const row = x.keys.find((y) => y.key === k.key)?.series[0];
      return row ? (headline(row).value ?? null) : null;
    });
    out.push(`${k.title.padEnd(nameW)}  ${(k.family + labelsText(first.labels, first.labelLengths)).padEnd(28).slice(0, 40)}  ${h.text.padEnd(34)} ${sparkline(trail, w)}`);
  }
  out.push(s.dim(`scrape ${good.scrapeMs.toFixed(0)} ms, ${good.bytes} bytes`));
  return out.join('\n') + '\n';
}
