/** Pure helpers for the benchmark's numbers; no I/O, unit-tested in statistics.spec.ts. */

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest value such that at
 * least p% of the samples are ≤ it. Always one of the samples, never an interpolation.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  // p × n first: (p / 100) × n is 999.0000000000001 for p99.9 of 1,000, and its ceiling one rank too high.
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[rank - 1]!;
}

/** Events per second over a span in milliseconds; undefined when the span is empty. */
export function perSecond(count: number, spanMs: number): number | undefined {
  return spanMs > 0 && count > 0 ? (count * 1000) / spanMs : undefined;
}

/**
 * The rate of `count` events that happened from `firstMs` to `lastMs`: (count − 1) intervals over
 * that span, so that a single burst does not count as infinitely fast.
 */
export function rateOverSpan(count: number, firstMs: number, lastMs: number): number | undefined {
  return perSecond(count - 1, lastMs - firstMs);
}
