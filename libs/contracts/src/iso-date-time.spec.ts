import { describe, expect, it } from 'vitest';
import { isIsoDateTime } from './iso-date-time.js';

describe('isIsoDateTime', () => {
  it.each([
    '2024-06-03T08:42:05Z',
    '2024-06-03T08:42:05.123Z',
    '2024-06-03T10:42:05+02:00',
    '2024-02-29T23:59:59-12:00',
    new Date(0).toISOString(),
  ])('accepts %s', (text) => {
    expect(isIsoDateTime(text)).toBe(true);
  });

  it.each([
    '2024-06-03T08:42:05', // no zone
    '2024-06-03 08:42:05Z', // space instead of T
    '2024-02-30T08:42:05Z',
    '2023-02-29T08:42:05Z',
    '2024-06-03T24:00:00Z',
    '2024-06-03T08:42:05+25:00',
    '2024-06-03',
    '',
  ])('refuses %s', (text) => {
    expect(isIsoDateTime(text)).toBe(false);
  });
});
