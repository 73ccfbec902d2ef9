import { describe, expect, it } from 'vitest';
import { StageProgress } from './stage-progress.js';

function clockAt(start: number) {
  const clock = { now: start, advance: (ms: number) => (clock.now += ms) };
  return clock;
}

/** A try that runs until the test settles it. */
function pendingTry() {
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const work = () => new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  return { work, settle: () => settle };
}

describe('StageProgress', () => {
  it('waits for nothing while idle, however long since the last progress', () => {
    const clock = clockAt(0);
    const progress = new StageProgress('intake', () => clock.now);
    clock.advance(600_000);
    expect(progress.waitingMs()).toBe(0);
  });

  it('counts a try that hangs from when it began, and stops counting once it succeeds', async () => {
    const clock = clockAt(0);
    const progress = new StageProgress('intake', () => clock.now);
    clock.advance(60_000);
    const hanging = pendingTry();
    const running = progress.attempt(hanging.work);
    clock.advance(5_000);
    expect(progress.waitingMs()).toBe(5_000);
    hanging.settle().resolve();
    await running;
    clock.advance(1_000);
    expect(progress.waitingMs()).toBe(0);
  });

  it('keeps counting across failing tries and the pauses between them, until one succeeds', async () => {
    const clock = clockAt(0);
    const progress = new StageProgress('submission', () => clock.now);
    for (let tries = 0; tries < 3; tries += 1) {
      await expect(progress.attempt(() => Promise.reject(new Error('read-only')))).rejects.toThrow('read-only');
      clock.advance(2_000);
    }
    expect(progress.waitingMs()).toBe(6_000);
    await progress.attempt(() => Promise.resolve());
    expect(progress.waitingMs()).toBe(0);
  });

  it('counts from the last progress when another try made some while an older one still runs', async () => {
    const clock = clockAt(0);
    const progress = new StageProgress('intake', () => clock.now);
    const older = pendingTry();
    void progress.attempt(older.work);
    clock.advance(10_000);
    await progress.attempt(() => Promise.resolve());
    clock.advance(3_000);
    expect(progress.waitingMs()).toBe(3_000);
    older.settle().resolve();
  });

  it('waits for nothing once the failing work was given up', async () => {
    const clock = clockAt(0);
    const progress = new StageProgress('intake', () => clock.now);
    await expect(progress.attempt(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    clock.advance(1_000);
    progress.gaveUp();
    expect(progress.waitingMs()).toBe(0);
  });
});
