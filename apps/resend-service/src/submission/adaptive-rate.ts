/**
 * The arithmetic of the adaptive provider call rate (AIMD: additive increase, multiplicative
 * decrease), kept free of the database so it can be read and tested on its own. The shared
 * state lives in the provider_call_budget row; ProviderCallBudget applies these decisions to it
 * with a compare-and-set, so that of several instances deciding at once only one change lands.
 */

/** What the decisions need to know about the shared rate. Times are the database clock, in ms. */
export interface AdaptiveRateState {
  /** Calls per second all instances together may start. */
  rate: number;
  /** When the rate last changed (cut or raise). */
  changedAtMs: number;
  /** When the rate was last cut, or null if never. */
  cutAtMs: number | null;
  /** When a -15 (or HTTP 429) answer was last reported, or null if never. */
  throttledAtMs: number | null;
}

export interface AdaptiveRatePolicy {
  /** The rate never rises above this: the configured maximum, or the adaptive ceiling when none is configured. */
  ceiling: number;
  /** The rate never falls below this, so the queue always drains, however slowly. */
  floor: number;
  /** A cut multiplies the rate by this. */
  cutFactor: number;
  /** After a cut, further -15 answers within this time do not cut again: they answer calls made before the cut. */
  cutCooldownMs: number;
  /** A raise needs this long without a -15 answer and without a rate change. */
  calmMs: number;
  /** A raise adds this many calls per second. */
  step: number;
}

/**
 * The defaults: halve on -15, at most once per 2 s (longer than a provider call takes, so the
 * -15 answers of calls made before the cut do not cut again); after each calm second, add 2% of
 * the ceiling, so a halving is recovered in about 25 s.
 */
export function adaptiveRatePolicy(ceiling: number): AdaptiveRatePolicy {
  return {
    ceiling,
    floor: Math.min(1, ceiling),
    cutFactor: 0.5,
    cutCooldownMs: 2_000,
    calmMs: 1_000,
    step: ceiling / 50,
  };
}

/** The rate after a -15 answer at `nowMs`, or null when it stays (a cut happened moments ago, or already at the floor). */
export function rateAfterThrottle(state: AdaptiveRateState, nowMs: number, policy: AdaptiveRatePolicy): number | null {
  if (state.cutAtMs !== null && nowMs - state.cutAtMs < policy.cutCooldownMs) return null;
  const cut = Math.max(policy.floor, state.rate * policy.cutFactor);
  return cut < state.rate ? cut : null;
}

/** The rate after a calm period, or null when it stays (not calm long enough, or already at the ceiling). */
export function rateAfterCalm(state: AdaptiveRateState, nowMs: number, policy: AdaptiveRatePolicy): number | null {
  const lastEventMs = Math.max(state.changedAtMs, state.throttledAtMs ?? Number.NEGATIVE_INFINITY);
  if (nowMs - lastEventMs < policy.calmMs) return null;
  const raised = Math.min(policy.ceiling, state.rate + policy.step);
  return raised > state.rate ? raised : null;
}
