import { describe, expect, it } from 'vitest';
import { IdRanges } from './id-ranges.js';

describe('IdRanges', () => {
  it('contains the ids of its ranges and single ids', () => {
    const ranges = IdRanges.parse('1-1000, 5000 ,7000-7001');
    expect([1, 1000, 5000, 7001].map((id) => ranges.contains(id))).toEqual([true, true, true, true]);
    expect([0, 1001, 4999, 7002].map((id) => ranges.contains(id))).toEqual([false, false, false, false]);
  });

  it('reads "*" as every id and "" as none', () => {
    expect(IdRanges.parse('*').contains(123456)).toBe(true);
    expect(IdRanges.parse('').contains(1)).toBe(false);
  });

  it.each([['1-'], ['a'], ['10-1'], ['1,,2']])('refuses %j', (text) => {
    expect(() => IdRanges.parse(text)).toThrow();
  });
});
