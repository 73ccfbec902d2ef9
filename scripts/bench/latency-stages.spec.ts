import { describe, expect, it } from 'vitest';
import { stageDurations, stagePercentile, type StageTimes } from './latency-stages.js';

describe('stagePercentile', () => {
  it('takes the nearest-rank percentile of each stage, to 0.1 ms, and NaN for a stage without samples', () => {
    const durations = { intake: [1, 2, 3, 4, 100], claim: [0.26, 0.31], callAndResult: [5], relay: [] };
    expect(stagePercentile(durations, 50)).toEqual({ intake: 3, claim: 0.3, callAndResult: 5, relay: NaN });
    expect(stagePercentile(durations, 99).intake).toBe(100);
  });
});

describe('stageDurations', () => {
  const row = (requestId: string, moments: Partial<StageTimes>): StageTimes => ({
    request_id: requestId,
    received_ms: 1_000,
    claimed_ms: 1_000,
    call_ms: 2,
    call_recorded_ms: 1_004,
    written_ms: 1_004,
    published_ms: 1_006,
    ...moments,
  });

  it('splits each request into intake, claim, call and result, and relay', () => {
    const durations = stageDurations([row('a', { claimed_ms: 1_003 })], new Map([['a', 997]]));
    expect(durations).toEqual({ intake: [3], claim: [3], callAndResult: [1], relay: [2] });
  });

  it('counts a claim in intake (attempt dated at the start of intake, before the row) as a 0 ms claim stage', () => {
    const durations = stageDurations([row('a', { claimed_ms: 998 })], new Map([['a', 997]]));
    expect(durations.claim).toEqual([0]);
    expect(durations.callAndResult).toEqual([4]);
  });

  it('leaves out of the relay stage an outcome not yet published', () => {
    expect(stageDurations([row('a', { published_ms: null })], new Map([['a', 997]])).relay).toEqual([]);
  });
});
