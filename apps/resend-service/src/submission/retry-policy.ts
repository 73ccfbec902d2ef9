import { Injectable } from '@nestjs/common';
import { backoffDelayMs } from '#common';
import { AppConfig } from '../config/app-config.js';
import type { ResendRequest } from '../requests/resend-request.entity.js';

/** When to try a request again, and when to stop trying (maximum attempts or maximum age). */
@Injectable()
export class RetryPolicy {
  constructor(private readonly config: AppConfig) {}

  isExhausted(request: ResendRequest, now = new Date()): boolean {
    const { maxAttempts, maxAgeMs } = this.config.submission;
    return request.attempts >= maxAttempts || now.getTime() - request.receivedAt.getTime() >= maxAgeMs;
  }

  nextAttemptAt(failures: number, delay: 'normal' | 'long', now = new Date()): Date {
    const { backoffBaseMs, backoffMaxMs, longBackoffMs } = this.config.submission;
    const policy =
      delay === 'long'
        ? { baseMs: longBackoffMs, maxMs: Math.max(longBackoffMs, backoffMaxMs) }
        : { baseMs: backoffBaseMs, maxMs: backoffMaxMs };
    return new Date(now.getTime() + backoffDelayMs(failures, policy));
  }
}
