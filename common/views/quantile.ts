// histogram_quantile as Prometheus computes it, for the local source: so both sources give the same answer
// for the same buckets (linear interpolation inside the bucket the rank falls in; the +Inf bucket answers
// with the highest finite bound).

export interface Bucket {
  /** The bucket's upper bound; Infinity for +Inf. */
  le: number;
  /** Cumulative: observations at or below `le`. */
  count: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of cumulative buckets; NaN when there are no observations. */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1].le !== Infinity) return NaN;
  // Counts may dip where series were scraped at slightly different moments; Prometheus evens them out too.
  for (let i = 1; i < sorted.length; i++) if (sorted[i].count < sorted[i - 1].count) sorted[i] = { ...sorted[i], count: sorted[i - 1].count };
  const total = sorted[sorted.length - 1].count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  const i = sorted.findIndex((b) => b.count >= rank);
  if (i === sorted.length - 1) return sorted[sorted.length - 2].le;
  if (i === 0 && sorted[0].le <= 0) return sorted[0].le;
  const lower = i === 0 ? 0 : sorted[i - 1].le;
  const below = i === 0 ? 0 : sorted[i - 1].count;
  const inBucket = sorted[i].count - below;
  if (inBucket === 0) return lower;
  return lower + (sorted[i].le - lower) * ((rank - below) / inBucket);
}
