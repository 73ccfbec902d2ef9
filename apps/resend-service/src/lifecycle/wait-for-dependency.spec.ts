import type { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitForDependency } from './wait-for-dependency.js';

interface Warning {
  msg: string;
  dependency: string;
  attempt: number;
  retryInMs: number;
  cause: string;
}

/** A logger that keeps the warnings; the other levels are not looked at. */
function recordingLogger() {
  const warnings: Warning[] = [];
  const logger = { warn: (line: Warning) => warnings.push(line), log: () => undefined } as unknown as Logger;
  return { logger, warnings };
}

/** A dependency that fails `failures` times with ECONNREFUSED, then answers. */
function refusing(failures: number) {
  let tries = 0;
  return {
    name: 'Kafka',
    attempt: () => {
      tries += 1;
      if (tries <= failures)
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' }));
      return Promise.resolve();
    },
  };
}

describe('waitForDependency: start-up retries (docs/operations.md, Start-up)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('retries with backoff from 0.5 s doubling up to 10 s, with jitter, one warning per failed try naming the cause and the delay', async () => {
    const { logger, warnings } = recordingLogger();
    const waiting = waitForDependency(refusing(8), { signal: new AbortController().signal, logger });
    await vi.runAllTimersAsync();

    expect(await waiting).toBe(true);
    expect(warnings.map((warning) => warning.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    warnings.forEach(({ retryInMs }, index) => {
      // Equal jitter: between half and all of 0.5 s × 2^(attempt - 1), that at most 10 s.
      const exponential = Math.min(10_000, 500 * 2 ** index);
      expect(retryInMs, `delay after attempt ${index + 1}`).toBeGreaterThanOrEqual(exponential / 2);
      expect(retryInMs, `delay after attempt ${index + 1}`).toBeLessThanOrEqual(exponential);
    });
    expect(warnings[2]).toEqual({
      msg: `Kafka not reachable (attempt 3): connect ECONNREFUSED 127.0.0.1:9092; retrying in ${warnings[2]!.retryInMs} ms`,
      dependency: 'Kafka',
      attempt: 3,
      retryInMs: warnings[2]!.retryInMs,
      cause: 'connect ECONNREFUSED 127.0.0.1:9092',
    });
  });

  it('waits as long as the outage lasts', async () => {
    const { logger, warnings } = recordingLogger();
    const waiting = waitForDependency(refusing(40), { signal: new AbortController().signal, logger });
    await vi.runAllTimersAsync();
    expect(await waiting).toBe(true);
    expect(warnings).toHaveLength(40);
  });

  it('ends the wait at once when the process is stopped, without another try', async () => {
    const { logger, warnings } = recordingLogger();
    const stop = new AbortController();
    const dependency = refusing(Number.MAX_SAFE_INTEGER);
    const attempt = vi.spyOn(dependency, 'attempt');
    const waiting = waitForDependency(dependency, { signal: stop.signal, logger });
    await vi.advanceTimersByTimeAsync(0);
    expect(warnings).toHaveLength(1);
    stop.abort();
    expect(await waiting).toBe(false);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('stops at a failure that waiting cannot fix, without retrying', async () => {
    const { logger, warnings } = recordingLogger();
    const wrongPassword = new Error('Kafka: check KAFKA_SASL_PASSWORD');
    const waiting = waitForDependency({ ...refusing(1), fatal: () => wrongPassword }, { signal: new AbortController().signal, logger });
    await expect(waiting).rejects.toBe(wrongPassword);
    expect(warnings).toEqual([]);
  });
});
