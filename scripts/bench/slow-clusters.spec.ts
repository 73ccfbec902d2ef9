import { describe, expect, it } from 'vitest';
import { fullCollectionTimes, slowClusters, summariseSlowClusters } from './slow-clusters.js';

describe('fullCollectionTimes', () => {
  it('reads the mark-compacts of a --trace-gc log and nothing else', () => {
    const log = [
      '[6135:0x34799d60]       51 ms: Scavenge 4.4 (4.5) -> 3.8 (5.5) MB, 0.90 / 0.01 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ',
      '{"level":30,"time":1796008164284,"msg":"Mark-Compact in a log message"}',
      '[6135:0x34799d60]     5968 ms: Mark-Compact 63.8 (97.0) -> 51.8 (96.0) MB, 4.54 / 0.27 ms  (+ 20.2 ms in 281 steps since start of marking)',
      '[6135:0x34799d60]    11688 ms: Mark-Compact 58.7 (96.0) -> 52.8 (96.0) MB, 4.28 / 0.17 ms',
    ].join('\n');
    expect(fullCollectionTimes(log)).toEqual([5968, 11688]);
  });
});

describe('slowClusters', () => {
  it('groups slow requests less than the gap apart, whatever their order', () => {
    const requests = [
      { appendedAt: 1_000, latencyMs: 30 },
      { appendedAt: 1_010, latencyMs: 5 },
      { appendedAt: 1_080, latencyMs: 45 },
      { appendedAt: 1_020, latencyMs: 25 },
      { appendedAt: 1_300, latencyMs: 21 },
    ];
    expect(slowClusters(requests, 20, 100)).toEqual([
      { from: 1_000, to: 1_080, requests: 3, maxLatencyMs: 45 },
      { from: 1_300, to: 1_300, requests: 1, maxLatencyMs: 21 },
    ]);
  });
});

describe('summariseSlowClusters', () => {
  it('counts the clusters with a full collection shortly before or during them, and the collections while requests came', () => {
    const requests = [
      { appendedAt: 1_000, latencyMs: 2 },
      { appendedAt: 2_000, latencyMs: 40 }, // collection at 1_900: 100 ms before
      { appendedAt: 5_000, latencyMs: 40 }, // collection at 4_700: too early
      { appendedAt: 8_000, latencyMs: 40 }, // collection at 8_030: during it
      { appendedAt: 9_000, latencyMs: 3 },
    ];
    expect(summariseSlowClusters(requests, [500, 1_900, 4_700, 8_030, 9_500])).toEqual({
      slowRequests: 3,
      clusters: 3,
      nearFullCollection: 2,
      fullCollections: 3,
    });
  });
});
