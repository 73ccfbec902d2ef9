import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import { type FailureDescription, OutcomeEvents, type OutcomeSubject } from './outcome-events.js';

const events = new OutcomeEvents({
  topics: { completed: 'campaign.resend.completed', failed: 'campaign.resend.failed' },
  cloudEventsSource: '/resend-relay',
} as AppConfig);

const request: OutcomeSubject = { requestId: 'req-1', keyId: 7, taskName: 'task-7', correlationId: 'corr', attempts: 2 };
const decidedAt = new Date('2026-11-28T12:34:56.789Z');

describe('OutcomeEvents: ce_time is when the outcome was decided (docs/events.md)', () => {
  it('ce_time of a completed event equals its submittedAt', () => {
    const message = events.completed(request, { newKeyId: 99, resolvedByLookup: false }, decidedAt);
    const event = message.value as { submittedAt: string };
    expect(event.submittedAt).toBe('2026-11-28T12:34:56.789Z');
    expect(message.headers?.ce_time).toBe(event.submittedAt);
  });

  it('ce_time of a failed event equals its failedAt', () => {
    const failure: FailureDescription = { code: '-24', message: 'rejected', category: 'provider_rejected' };
    const message = events.failed(request, failure, decidedAt);
    const event = message.value as { failedAt: string };
    expect(event.failedAt).toBe('2026-11-28T12:34:56.789Z');
    expect(message.headers?.ce_time).toBe(event.failedAt);
  });
});
