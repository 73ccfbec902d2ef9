import type { Contender } from './bench-context.js';

/** One turn of a paced arm: the contender sends its requests `from` (inclusive) to `to` (exclusive). */
export interface PacedSlice {
  contender: Contender;
  from: number;
  to: number;
}

/**
 * The order in which the paced arms take turns: slices of `sliceSeconds`, the order reversed
 * every round (ABBA for two: naive, service, service, naive, …; ABCCBA for three) so that none
 * always goes first after another, until each has sent `rate × seconds` requests. All then meet
 * the same moments of the machine — a broker flush, a checkpoint, a neighbour's burst — where arms
 * run one after the other met different ones, and the naive relay's p99 alone varied several-fold
 * between runs.
 */
export function pacedSlices(
  rate: number,
  seconds: number,
  sliceSeconds: number,
  contenders: readonly Contender[] = ['naive', 'service'],
): PacedSlice[] {
  const total = rate * seconds;
  const perSlice = rate * Math.min(sliceSeconds, seconds);
  const slices: PacedSlice[] = [];
  for (let round = 0, from = 0; from < total; round++, from += perSlice) {
    const to = Math.min(total, from + perSlice);
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) slices.push({ contender, from, to });
  }
  return slices;
}
