import { describe, expect, it } from 'vitest';
import { WakeSignal } from './wake-signal.js';

describe('WakeSignal', () => {
  it('returns early when woken', async () => {
    const signal = new WakeSignal();
    const started = Date.now();
    const waiting = signal.wait(10_000);
    signal.wake();
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('remembers a wake that came while nobody waited', async () => {
    const signal = new WakeSignal();
    signal.wake();
    const started = Date.now();
    await signal.wait(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says it is sleeping only while a wait is not over, and not when a remembered wake ends it at once', async () => {
    const signal = new WakeSignal();
    expect(signal.sleeping).toBe(false);
    const waiting = signal.wait(10_000);
    expect(signal.sleeping).toBe(true);
    signal.wake();
    await waiting;
    expect(signal.sleeping).toBe(false);
    signal.wake();
    const atOnce = signal.wait(10_000);
    expect(signal.sleeping).toBe(false);
    await atOnce;
  });

  it('times out when nobody wakes it', async () => {
    const signal = new WakeSignal();
    await expect(signal.wait(5)).resolves.toBeUndefined();
  });
});
