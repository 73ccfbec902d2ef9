import { describe, expect, it } from 'vitest';
import { latencyRecords } from './latency-dump.js';
import type { StageTimes } from './latency-stages.js';

describe('latencyRecords', () => {
  const appendedAt = new Map([
    ['first', 10_000],
    ['second', 10_010],
  ]);
  const outcomeAt = (requestId: string) => (requestId === 'first' ? 10_007 : 10_060);

  it('gives each request its latency, in the order they were sent, and nothing more for the naive relay', () => {
    expect(latencyRecords(appendedAt, outcomeAt)).toEqual([
      { requestId: 'first', appendedAt: 10_000, latencyMs: 7 },
      { requestId: 'second', appendedAt: 10_010, latencyMs: 50 },
    ]);
  });

  it("adds the service's moments, in ms after the append, and its call's duration", () => {
    const stages: StageTimes[] = [
      {
        request_id: 'second',
        received_ms: 10_012.44,
        claimed_ms: 10_012,
        call_ms: 3,
        call_recorded_ms: 10_041,
        written_ms: 10_041,
        published_ms: null,
      },
    ];
    const [, second] = latencyRecords(appendedAt, outcomeAt, stages);
    expect(second).toEqual({
      requestId: 'second',
      appendedAt: 10_010,
      latencyMs: 50,
      afterAppendMs: { recorded: 2.4, claimed: 2, callRecorded: 31, written: 31, published: null },
      callMs: 3,
    });
  });
});
