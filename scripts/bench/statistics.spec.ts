import { describe, expect, it } from 'vitest';
import { percentile, perSecond, rateOverSpan } from './statistics.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => 100 - index); // 100 … 1, unsorted on purpose

  it('is the smallest sample with at least p% of the samples at or below it', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
  });

  it('takes a fractional percentile at its exact rank (p99.9 of 1,000 samples is the 999th, not the largest)', () => {
    const thousand = Array.from({ length: 1000 }, (_, index) => index + 1);
    expect(percentile(thousand, 99.9)).toBe(999);
    expect(percentile(thousand, 99)).toBe(990);
  });

  it('is always one of the samples, never an interpolation', () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile([7], 99)).toBe(7);
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses no samples and percentiles outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow('no samples');
    expect(() => percentile([1], 0)).toThrow('(0, 100]');
    expect(() => percentile([1], 101)).toThrow('(0, 100]');
  });
});

describe('rates', () => {
  it('perSecond counts events over a span in milliseconds', () => {
    expect(perSecond(500, 2_000)).toBe(250);
    expect(perSecond(10, 0)).toBeUndefined();
    expect(perSecond(0, 1_000)).toBeUndefined();
  });

  it('rateOverSpan counts the intervals between the first and the last event', () => {
    expect(rateOverSpan(101, 5_000, 6_000)).toBe(100);
    expect(rateOverSpan(1, 5_000, 5_000)).toBeUndefined();
    expect(rateOverSpan(50, 5_000, 5_000)).toBeUndefined();
  });
});
