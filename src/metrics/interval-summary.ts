// Interval summaries: per-series values between two scrapes (increases, rates, the interval's own
// quantiles from bucket deltas), with server restarts recognised as resets. Pure: the caller
// passes the interval's length.
import type { Exposition } from '../model/metrics.js';
import { histogramQuantile, type Bucket } from './histogram-quantile.js';
import { countOf, setQuantiles, type Series } from './series.js';
import type { IntervalSummary } from '../model/metrics-summary.js';
import { rowLabels, selectSeries, seriesTable, tableKey, type Selection, type SeriesTable } from './select.js';
import { unitOf } from './units.js';

/** The per-second rate, or undefined when the interval has no length to divide by. */
function perSecond(delta: number, seconds: number): number | undefined {
  return seconds > 0 && Number.isFinite(seconds) ? delta / seconds : undefined;
}

/** _created moved: the series was created again, whatever its value did. */
function createdMoved(prev: Series, cur: Series): boolean {
  return prev.created !== undefined && cur.created !== undefined && prev.created !== cur.created;
}

/**
 * Per-interval values between two scrapes `seconds` apart, one per series of `cur`. Counters give
 * their increase and rate; histograms the interval's count, sum, mean and p50/p95/p99 from the
 * bucket deltas (the DOMAIN's "judge per interval"); summaries the interval's count, sum and mean
 * with the server's quantiles; gauges their value and change. Series only in `prev` are dropped.
 */
export function intervalSummaries(prev: Exposition, cur: Exposition, seconds: number): IntervalSummary[] {
  return intervalRows(seriesTable(selectSeries(prev)), selectSeries(cur), seconds).rows;
}

/**
 * intervalSummaries for the series kept of `cur`, against what was kept of the scrape before.
 * A series that the earlier table does not have is new (counted from zero) when the table holds
 * everything the earlier scrape had of its family; when the limit cut the earlier scrape there,
 * the series may simply not have been kept, so it gets no row this time (`notCompared`), and is
 * differenced from the next scrape on.
 */
export function intervalRows(prev: SeriesTable, cur: Selection, seconds: number): { rows: IntervalSummary[]; notCompared: number } {
  const out: IntervalSummary[] = [];
  let notCompared = 0;
  for (const { family, series } of cur.families) {
    const unit = unitOf(family.name, family.unit).unit;
    const earlier = prev.families.get(family.name);
    // A family whose type changed between scrapes is a different metric: every series is new.
    const sameType = earlier !== undefined && earlier.type === family.type;
    const knownNew = earlier === undefined ? prev.complete : !sameType || earlier.complete;
    for (const s of series) {
      const p = sameType ? earlier.series.get(tableKey(s.labels)) : undefined;
      if (p === undefined && !knownNew) {
        notCompared++;
        continue;
      }
      const base: IntervalSummary = { family: family.name, type: family.type, ...rowLabels(s.labels), unit, seconds, isNew: p === undefined, reset: false };
      switch (family.type) {
        case 'counter':
          out.push(counterInterval(base, p, s));
          break;
        case 'histogram':
        case 'gaugehistogram':
          out.push(histogramInterval(base, p, s));
          break;
        case 'summary':
          out.push(summaryInterval(base, p, s));
          break;
        default:
          out.push(gaugeInterval(base, p, s));
      }
    }
  }
  return { rows: out, notCompared };
}

function counterInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  if (cur.value === undefined) return out;
  let delta = cur.value;
  if (prev?.value !== undefined) {
    out.reset = cur.value < prev.value || createdMoved(prev, cur);
    if (!out.reset) delta = cur.value - prev.value;
  }
  out.delta = delta;
  const rate = perSecond(delta, out.seconds);
  if (rate !== undefined) out.rate = rate;
  return out;
}

function gaugeInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  if (cur.value === undefined) return out;
  out.value = cur.value;
  if (prev?.value !== undefined) out.delta = cur.value - prev.value;
  return out;
}

/** Same upper bounds in the same order (after sorting): otherwise the buckets cannot be differenced. */
function sameLayout(a: Bucket[], b: Bucket[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.map((v) => v.le).sort((m, n) => m - n);
  const y = b.map((v) => v.le).sort((m, n) => m - n);
  return x.every((le, i) => le === y[i]);
}

function histogramInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  const curCount = countOf(cur);
  let buckets = cur.buckets;
  let count = curCount;
  let sum = cur.sum;
  if (prev !== undefined) {
    const prevCount = countOf(prev);
    const prevByLe = new Map(prev.buckets.map((b) => [b.le, b.count]));
    const reset =
      (curCount !== undefined && prevCount !== undefined && curCount < prevCount) ||
      !sameLayout(prev.buckets, cur.buckets) ||
      cur.buckets.some((b) => b.count < (prevByLe.get(b.le) ?? 0)) ||
      createdMoved(prev, cur);
    out.reset = reset;
    if (!reset) {
      buckets = cur.buckets.map((b) => ({ le: b.le, count: b.count - (prevByLe.get(b.le) ?? 0) }));
      count = curCount !== undefined && prevCount !== undefined ? curCount - prevCount : undefined;
      sum = cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined;
    }
  }
  return observationsInterval(out, count, sum, (q) => (buckets.length > 0 ? histogramQuantile(q, buckets) : undefined));
}

function summaryInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  let count = cur.count;
  let sum = cur.sum;
  if (prev !== undefined) {
    out.reset = (cur.count !== undefined && prev.count !== undefined && cur.count < prev.count) || createdMoved(prev, cur);
    if (!out.reset) {
      count = cur.count !== undefined && prev.count !== undefined ? cur.count - prev.count : undefined;
      sum = cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined;
    }
  }
  observationsInterval(out, count, sum, (q) => cur.quantiles.get(q));
  if (cur.quantiles.size > 0) out.serverQuantiles = true;
  return out;
}

function observationsInterval(out: IntervalSummary, count: number | undefined, sum: number | undefined, quantile: (q: number) => number | undefined): IntervalSummary {
  if (count !== undefined) {
    out.count = count;
    const rate = perSecond(count, out.seconds);
    if (rate !== undefined) out.rate = rate;
  }
  if (sum !== undefined) out.sum = sum;
  if (count !== undefined && count > 0 && sum !== undefined) out.mean = sum / count;
  setQuantiles(out, quantile);
  return out;
}
