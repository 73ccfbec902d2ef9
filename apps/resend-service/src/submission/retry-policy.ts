import { Injectable } from '@nestjs/common';
import { backoffDelayMs } from '#common';
import { AppConfig } from '../config/app-config.js';

/**
 * When to try a request again, and when to stop trying (maximum attempts or maximum age).
 * The claim statement applies the same two limits before a call (submission.sql.ts, `exhausted`).
 */
@Injectable()
export class RetryPolicy {
  constructor(private readonly config: AppConfig) {}

  isExhausted(request: { attempts: number; receivedAt: Date }, now = new Date()): boolean {
    const { maxAttempts, maxAgeMs } = this.config.submission;
    return request.attempts >= maxAttempts || now.getTime() - request.receivedAt.getTime() >= maxAgeMs;
  }

  /** How long after a call of unknown outcome began a lookup that finds nothing is believed (ITNIOTECH_LOOKUP_SETTLE_MS). */
  get lookupSettleMs(): number {
    return this.config.provider.lookupSettleMs;
  }

  /** Lookups that keep failing give up after as many tries as calls do. */
  get maxLookupFailures(): number {
    return this.config.submission.maxAttempts;
  }

  /**
   * How long to wait before the next try, after `failures` of them. A delay, not a time: the
   * database adds it to its own clock (finishRequests), the clock the claim compares it with.
   */
  retryDelayMs(failures: number, delay: 'normal' | 'long'): number {
    const { backoffBaseMs, backoffMaxMs, longBackoffMs } = this.config.submission;
    const policy =
      delay === 'long'
        ? { baseMs: longBackoffMs, maxMs: Math.max(longBackoffMs, backoffMaxMs) }
        : { baseMs: backoffBaseMs, maxMs: backoffMaxMs };
    return backoffDelayMs(failures, policy);
  }
}
