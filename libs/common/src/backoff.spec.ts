import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 30_000 };

describe('backoffDelayMs', () => {
  it('doubles per attempt between half and all of the exponential delay', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(500);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(2000);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(4000);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelayMs(50, policy, () => 1)).toBe(30_000);
  });
});
