import { describe, expect, it } from 'vitest';
import { stagePercentile } from './latency-stages.js';

describe('stagePercentile', () => {
  it('takes the nearest-rank percentile of each stage, to 0.1 ms, and NaN for a stage without samples', () => {
    const durations = { intake: [1, 2, 3, 4, 100], claim: [0.26, 0.31], callAndResult: [5], relay: [] };
    expect(stagePercentile(durations, 50)).toEqual({ intake: 3, claim: 0.3, callAndResult: 5, relay: NaN });
    expect(stagePercentile(durations, 99).intake).toBe(100);
  });
});
