import { describe, expect, it } from 'vitest';
import { formatNumber, formatRatio, joinNumbers, markdownTable } from './result-table.js';

describe('markdownTable', () => {
  it('renders a header, a separator and one line per row; missing cells show as a dash', () => {
    expect(
      markdownTable(
        ['', 'a', 'b'],
        [
          ['rate', 1234.4, undefined],
          ['text | pipe', 'x', 0.5],
        ],
      ),
    ).toBe(['|  | a | b |', '|---|---|---|', '| rate | 1,234 | — |', '| text \\| pipe | x | 0.5 |'].join('\n'));
  });
});

describe('formatNumber', () => {
  it('keeps fewer decimals the larger the number', () => {
    expect(formatNumber(20_345.6)).toBe('20,346');
    expect(formatNumber(271.44)).toBe('271');
    expect(formatNumber(56.78)).toBe('56.8');
    expect(formatNumber(3.456)).toBe('3.46');
    expect(formatNumber(0.0123)).toBe('0.012');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.00005)).toBe('<0.001');
  });
});

describe('joinNumbers and formatRatio', () => {
  it('joins formatted numbers', () => {
    expect(joinNumbers([3, 16.5, undefined])).toBe('3 / 16.5 / —');
  });

  it('formats a ratio with two decimals, or nothing when it cannot be computed', () => {
    expect(formatRatio(271, 1_000)).toBe('0.27×');
    expect(formatRatio(1, 0)).toBeUndefined();
    expect(formatRatio(undefined, 3)).toBeUndefined();
  });
});
