// Prometheus' histogram_quantile over classic histogram buckets. Pure.

export interface Bucket {
  /** Upper bound (the `le` label); +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * The φ-quantile of a classic histogram, exactly as Prometheus' `histogram_quantile` computes it
 * for `_bucket` series: `bucketQuantile` in prometheus/prometheus promql/quantile.go (with its
 * helpers coalesceBuckets, correctPrecisionErrors and ensureMonotonic).
 *
 * - q NaN → NaN; q < 0 → -Inf; q > 1 → +Inf (checked first, as there).
 * - Buckets are sorted by le; the highest must be +Inf, else NaN.
 * - Buckets with the same le are merged, their counts added (`le="0.2"` and `le="2e-1"`).
 * - Counts that differ from the previous bucket's by a relative 1e-12 or less are set equal to it
 *   (float noise from rate() sums); then any decrease is raised to the running maximum, since
 *   cumulative counts cannot fall (the "envelope" that ensureMonotonic builds).
 * - Fewer than 2 buckets, or no observations, → NaN.
 * - The rank q·total is located in the first bucket whose count reaches it, and interpolated
 *   linearly within that bucket; the lowest bucket starts at 0 when its upper bound is > 0, and a
 *   lowest bucket with bound ≤ 0 returns that bound; a rank in the +Inf bucket returns the upper
 *   bound of the second-highest bucket.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<Bucket>): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length === 0) return NaN;
  const sorted = buckets.map((b) => ({ le: b.le, count: b.count })).sort((a, b) => a.le - b.le);
  if (sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const bs = coalesceBuckets(sorted);
  correctPrecisionErrors(bs, 1e-12);
  ensureMonotonic(bs);
  if (bs.length < 2) return NaN;
  const observations = bs[bs.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // sort.Search(len(buckets)-1, count >= rank): the first bucket reaching the rank, else len-1.
  let b = 0;
  while (b < bs.length - 1 && !(bs[b]!.count >= rank)) b++;
  if (b === bs.length - 1) return bs[bs.length - 2]!.le;
  if (b === 0 && bs[0]!.le <= 0) return bs[0]!.le;
  let bucketStart = 0;
  const bucketEnd = bs[b]!.le;
  let count = bs[b]!.count;
  if (b > 0) {
    bucketStart = bs[b - 1]!.le;
    count -= bs[b - 1]!.count;
    rank -= bs[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** coalesceBuckets (quantile.go): adjacent buckets with the same upper bound become one. */
function coalesceBuckets(sorted: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.le === b.le) last.count += b.count;
    else out.push({ le: b.le, count: b.count });
  }
  return out;
}

/** correctPrecisionErrors (quantile.go): near-equal neighbours are made equal. */
function correctPrecisionErrors(bs: Bucket[], tolerance: number): void {
  let prev = bs[0]!.count;
  for (let i = 1; i < bs.length; i++) {
    const curr = bs[i]!.count;
    const delta = Math.abs(curr - prev);
    if (delta === 0) continue;
    if (delta / curr <= tolerance) bs[i]!.count = prev;
    else prev = curr;
  }
}

/** ensureMonotonic (quantile.go): a count below the running maximum is raised to it. */
function ensureMonotonic(bs: Bucket[]): void {
  let max = bs[0]!.count;
  for (let i = 1; i < bs.length; i++) {
    const c = bs[i]!.count;
    if (c > max) max = c;
    else if (c < max) bs[i]!.count = max;
  }
}
