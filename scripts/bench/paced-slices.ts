import type { Contender } from './bench-context.js';

/** One turn of a paced arm: the contender sends its requests `from` (inclusive) to `to` (exclusive). */
export interface PacedSlice {
  contender: Contender;
  from: number;
  to: number;
}

/**
 * The order in which the two paced arms take turns: slices of `sliceSeconds`, alternating in
 * ABBA order (naive, service, service, naive, …) so that neither always goes first after the
 * other, until each has sent `rate × seconds` requests. Both then meet the same moments of the
 * machine — a broker flush, a checkpoint, a neighbour's burst — where arms run one after the
 * other met different ones, and the naive relay's p99 alone varied several-fold between runs.
 */
export function pacedSlices(rate: number, seconds: number, sliceSeconds: number): PacedSlice[] {
  const total = rate * seconds;
  const perSlice = rate * Math.min(sliceSeconds, seconds);
  const slices: PacedSlice[] = [];
  for (let round = 0, from = 0; from < total; round++, from += perSlice) {
    const to = Math.min(total, from + perSlice);
    const order: Contender[] = round % 2 === 0 ? ['naive', 'service'] : ['service', 'naive'];
    for (const contender of order) slices.push({ contender, from, to });
  }
  return slices;
}
