import { describe, expect, it } from 'vitest';
import { adaptiveRatePolicy, rateAfterCalm, rateAfterThrottle, type AdaptiveRateState } from './adaptive-rate.js';

const policy = adaptiveRatePolicy(40);
const at = (rate: number, changes: Partial<AdaptiveRateState> = {}): AdaptiveRateState => ({
  rate,
  changedAtMs: 0,
  cutAtMs: null,
  throttledAtMs: null,
  ...changes,
});

describe('adaptive provider call rate (AIMD)', () => {
  it('halves the rate on the first -15', () => {
    expect(rateAfterThrottle(at(40), 10_000, policy)).toBe(20);
  });

  it('cuts only once for a burst of -15 answers: the cooldown after a cut', () => {
    const afterCut = at(20, { changedAtMs: 10_000, cutAtMs: 10_000, throttledAtMs: 10_000 });
    expect(rateAfterThrottle(afterCut, 10_500, policy)).toBeNull();
    expect(rateAfterThrottle(afterCut, 11_999, policy)).toBeNull();
    expect(rateAfterThrottle(afterCut, 12_000, policy)).toBe(10);
  });

  it('never cuts below the floor, and reports no change at the floor', () => {
    expect(rateAfterThrottle(at(1.5), 10_000, policy)).toBe(1);
    expect(rateAfterThrottle(at(1), 10_000, policy)).toBeNull();
  });

  it('raises by 2% of the ceiling after a calm second, up to the ceiling', () => {
    expect(rateAfterCalm(at(20, { changedAtMs: 0 }), 1_000, policy)).toBeCloseTo(20.8);
    expect(rateAfterCalm(at(39.5, { changedAtMs: 0 }), 1_000, policy)).toBe(40);
    expect(rateAfterCalm(at(40, { changedAtMs: 0 }), 60_000, policy)).toBeNull();
  });

  it('does not raise within a second of a change or of a -15 answer', () => {
    expect(rateAfterCalm(at(20, { changedAtMs: 500 }), 1_000, policy)).toBeNull();
    expect(rateAfterCalm(at(20, { changedAtMs: 0, throttledAtMs: 900 }), 1_000, policy)).toBeNull();
    expect(rateAfterCalm(at(20, { changedAtMs: 0, throttledAtMs: 900 }), 1_900, policy)).toBeCloseTo(20.8);
  });

  it('recovers from a halving in about 25 calm seconds', () => {
    let state = at(20, { changedAtMs: 0, cutAtMs: 0 });
    let now = 0;
    while (state.rate < 40) {
      now += 1_000;
      const raised = rateAfterCalm(state, now, policy);
      if (raised === null) break;
      state = { ...state, rate: raised, changedAtMs: now };
    }
    expect(state.rate).toBe(40);
    // 25 steps of 0.8, give or take one for floating-point rounding.
    expect(now).toBeGreaterThanOrEqual(25_000);
    expect(now).toBeLessThanOrEqual(26_000);
  });

  it('keeps a tiny ceiling usable: the floor never exceeds the ceiling', () => {
    const slow = adaptiveRatePolicy(0.5);
    expect(slow.floor).toBe(0.5);
    expect(rateAfterThrottle(at(0.5), 10_000, slow)).toBeNull();
  });
});
