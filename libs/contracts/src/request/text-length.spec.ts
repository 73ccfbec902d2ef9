import { describe, expect, it } from 'vitest';
import { countCharacters, truncateCharacters } from './text-length.js';

describe('text length in characters', () => {
  it('counts an emoji as one character', () => {
    expect(countCharacters('a😀b')).toBe(3);
  });

  it.each([
    ['abcdef', 3, 'abc'],
    ['abc', 3, 'abc'],
    ['😀😀😀', 2, '😀😀'],
    ['', 5, ''],
  ])('cuts %s after %i characters', (text, max, expected) => {
    expect(truncateCharacters(text, max)).toBe(expected);
  });
});
