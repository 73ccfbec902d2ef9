import { describe, expect, it } from 'vitest';
import { pacedSlices } from './paced-slices.js';

describe('pacedSlices', () => {
  it('alternates the contenders in ABBA order, slice by slice', () => {
    expect(pacedSlices(100, 6, 2)).toEqual([
      { contender: 'naive', from: 0, to: 200 },
      { contender: 'service', from: 0, to: 200 },
      { contender: 'service', from: 200, to: 400 },
      { contender: 'naive', from: 200, to: 400 },
      { contender: 'naive', from: 400, to: 600 },
      { contender: 'service', from: 400, to: 600 },
    ]);
  });

  it('gives each contender every one of its requests once, the last slice shorter when the time does not divide', () => {
    const slices = pacedSlices(100, 5, 2);
    for (const contender of ['naive', 'service'] as const) {
      const mine = slices.filter((slice) => slice.contender === contender);
      expect(mine.map(({ from, to }) => [from, to])).toEqual([
        [0, 200],
        [200, 400],
        [400, 500],
      ]);
    }
  });

  it('reverses the order every round for three contenders (ABCCBA)', () => {
    const order = pacedSlices(100, 4, 1, ['naive', 'floor', 'service']).map((slice) => `${slice.contender}@${slice.from}`);
    expect(order).toEqual([
      'naive@0',
      'floor@0',
      'service@0',
      'service@100',
      'floor@100',
      'naive@100',
      'naive@200',
      'floor@200',
      'service@200',
      'service@300',
      'floor@300',
      'naive@300',
    ]);
  });

  it('runs the arms one after the other when a slice is as long as the arm', () => {
    expect(pacedSlices(10, 3, 600)).toEqual([
      { contender: 'naive', from: 0, to: 30 },
      { contender: 'service', from: 0, to: 30 },
    ]);
  });
});
