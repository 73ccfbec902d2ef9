import { describe, expect, it } from 'vitest';
import { normaliseSendTime } from './send-time.js';

describe('normaliseSendTime', () => {
  it.each([
    ['2024-06-03 10:42:05', '2024-06-03 10:42:05'],
    ['2024-06-03T10:42:05', '2024-06-03 10:42:05'],
    ['2024-06-03T10:42', '2024-06-03 10:42:00'],
    ['2024-06-03T10:42:05.1', '2024-06-03 10:42:05'],
    ['2024-06-03T10:42:05.123456789', '2024-06-03 10:42:05'],
    ['2024-12-31T23:59:59.999', '2024-12-31 23:59:59'],
    ['2024-02-29 00:00:00', '2024-02-29 00:00:00'],
    ['2000-02-29 12:00:00', '2000-02-29 12:00:00'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normaliseSendTime(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['2023-02-29 10:00:00', 'is not a real date and time'],
    ['1900-02-29 10:00:00', 'is not a real date and time'],
    ['2024-04-31 10:00:00', 'is not a real date and time'],
    ['2024-13-01 10:00:00', 'is not a real date and time'],
    ['2024-00-10 10:00:00', 'is not a real date and time'],
    ['2024-06-00 10:00:00', 'is not a real date and time'],
    ['2024-06-03 24:00:00', 'is not a real date and time'],
    ['2024-06-03 10:60:00', 'is not a real date and time'],
    ['2024-06-03 23:59:60', 'is not a real date and time'],
    ['2024-06-03T10:42:05Z', 'without a zone'],
    ['2024-06-03T10:42:05.123Z', 'without a zone'],
    ['2024-06-03T10:42:05-0500', 'without a zone'],
    ['2024-06-03 10:42:05.123', 'must be a local date-time'],
    ['2024-06-03t10:42:05', 'must be a local date-time'],
    ['2024-06-03T10:42:05.1234567890', 'must be a local date-time'],
    ['2024-6-3 10:42:05', 'must be a local date-time'],
    [' 2024-06-03 10:42:05', 'must be a local date-time'],
    ['2024-06-03', 'must be a local date-time'],
    ['', 'must be a local date-time'],
  ])('refuses %s', (input, message) => {
    const result = normaliseSendTime(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(message);
  });
});
