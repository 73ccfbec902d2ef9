import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeSignal } from './wake-signal.js';

/** Whether `promise` has settled by now (after the microtasks already queued have run). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('WakeSignal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns when woken, long before its timeout', async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(10_000);
    expect(await settled(waiting)).toBe(false);
    signal.wake();
    expect(await settled(waiting)).toBe(true);
  });

  it('remembers a wake that came while nobody waited, once', async () => {
    const signal = new WakeSignal();
    signal.wake();
    expect(await settled(signal.wait(10_000))).toBe(true);
    expect(await settled(signal.wait(10_000))).toBe(false);
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

  it('times out when nobody wakes it: not before its timeout, and at it', async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    expect(signal.sleeping).toBe(false);
  });
});
