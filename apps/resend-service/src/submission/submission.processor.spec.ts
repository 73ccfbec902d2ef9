import { buildClassifier, type ItniotechClient, type ProviderCallResult, type TaskLookupResult } from '#itniotech';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import type { Sql } from '../database/sql.js';
import type { ClaimedRequest } from './claimed-request.js';
import type { ProviderCallBudget } from './provider-call-budget.js';
import type { ResultRecorder } from './result-recorder.js';
import { RetryPolicy } from './retry-policy.js';
import { SubmissionProcessor } from './submission.processor.js';
import { markSubmitInFlight, startLookupAttempt } from './submission.sql.js';

const config = {
  provider: { lookupWindowMinutes: 60 },
  submission: { maxAttempts: 3, maxAgeMs: 3_600_000, backoffBaseMs: 1_000, backoffMaxMs: 60_000, longBackoffMs: 30_000 },
} as AppConfig;

/** The statements the processor sends, answered as PostgreSQL would for a request whose lease holds. */
const database = {
  query: async (statement: unknown) => {
    if (statement === startLookupAttempt) return [{ id: '20' }];
    if (statement === markSubmitInFlight) return [{ attempts: 2, first_attempt_at: new Date(), attempt_id: '21' }];
    return [];
  },
} as unknown as Sql;

/** A provider whose lookups read `pages` pages and find nothing, and whose resend creates a task. */
function provider(pages: number): ItniotechClient {
  return {
    findTasksByName: async (_name: string, _range: unknown, onQuery: () => void): Promise<TaskLookupResult> => {
      for (let page = 0; page < pages; page += 1) onQuery();
      return { kind: 'not_found' };
    },
    resendAi: async (): Promise<ProviderCallResult> => ({
      kind: 'accepted',
      taskId: 7,
      httpStatus: 200,
      providerStatus: '0',
      reason: 'ok',
      latencyMs: 1,
      timestamp: 1,
    }),
  } as unknown as ItniotechClient;
}

function processorWith(client: ItniotechClient) {
  const charged: number[] = [];
  const throttles = { reported: [] as string[] };
  const budget = {
    reportThrottled: async (kind: string) => void throttles.reported.push(kind),
    chargeExtraCalls: async (calls: number) => void charged.push(calls),
  };
  const recorder = { record: async () => true } as unknown as ResultRecorder;
  const processor = new SubmissionProcessor(
    database,
    client,
    buildClassifier(),
    recorder,
    new RetryPolicy(config),
    config,
    budget as unknown as ProviderCallBudget,
  );
  return { processor, charged, throttles };
}

function claimed(overrides: Partial<ClaimedRequest>): ClaimedRequest {
  return {
    id: 'row',
    requestId: 'req',
    keyId: 1,
    taskName: 'task',
    correlationId: null,
    providerBody: { keyId: 1, taskName: 'task', scriptId: 1, resendType: 0 },
    attempts: 1,
    lastOutcomeUnknown: false,
    unknownCallSettlesInMs: 0,
    exhausted: false,
    hadUnknownOutcome: false,
    lookupFailures: 0,
    errorCode: null,
    errorMessage: null,
    receivedAt: new Date(),
    firstAttemptAt: new Date(),
    leaseOwner: 'instance/token/1',
    submitAttemptId: '10',
    traceParent: null,
    traceState: null,
    ...overrides,
  };
}

describe('SubmissionProcessor: the provider call budget', () => {
  it('charges nothing beyond the claim’s grant for a turn of one call', async () => {
    const { processor, charged } = processorWith(provider(1));
    await processor.process(claimed({}));
    expect(charged.filter((calls) => calls > 0)).toEqual([]);
  });

  it('charges every call of a turn beyond the first: the lookup’s later pages and the submit after it', async () => {
    const { processor, charged } = processorWith(provider(3));
    await processor.process(claimed({ lastOutcomeUnknown: true, submitAttemptId: null }));
    expect(charged.filter((calls) => calls > 0)).toEqual([3]);
  });
});

/** A provider whose resend answers `answer`, and whose lookups fail with `lookupErrorCode` (or find nothing). */
function answering(answer: Partial<ProviderCallResult> & Pick<ProviderCallResult, 'kind'>, lookupErrorCode?: string): ItniotechClient {
  return {
    findTasksByName: async (_name: string, _range: unknown, onQuery: () => void): Promise<TaskLookupResult> => {
      onQuery();
      return lookupErrorCode ? { kind: 'failed', errorCode: lookupErrorCode, message: 'failed' } : { kind: 'not_found' };
    },
    resendAi: async (): Promise<ProviderCallResult> => ({ latencyMs: 1, timestamp: 1, ...answer }) as ProviderCallResult,
  } as unknown as ItniotechClient;
}

describe('SubmissionProcessor: HTTP 429 cuts the adaptive rate as -15 does (docs/provider.md)', () => {
  it.each<[string, Partial<ProviderCallResult> & Pick<ProviderCallResult, 'kind'>, number]>([
    ['-15', { kind: 'rejected', httpStatus: 200, providerStatus: '-15', reason: 'Frequent requests' }, 1],
    ['HTTP 429', { kind: 'http_error', httpStatus: 429, bodyExcerpt: 'Too Many Requests' }, 1],
    ['HTTP 503 (not a throttle)', { kind: 'http_error', httpStatus: 503, bodyExcerpt: 'unavailable' }, 0],
    ['-37 (too many tasks running, not calls)', { kind: 'rejected', httpStatus: 200, providerStatus: '-37', reason: 'limit' }, 0],
  ])('a submit answered %s reports %i throttle(s) to the call budget', async (_case, answer, expected) => {
    const { processor, throttles } = processorWith(answering(answer));
    await processor.process(claimed({}));
    expect(throttles.reported).toEqual(Array(expected).fill('submit'));
  });

  it.each([
    ['HTTP_429', 1],
    ['-15', 1],
    ['HTTP_503', 0],
  ])('a lookup failing %s reports %i throttle(s) to the call budget', async (errorCode, expected) => {
    const { processor, throttles } = processorWith(
      answering({ kind: 'accepted', taskId: 7, httpStatus: 200, providerStatus: '0', reason: 'ok' }, errorCode),
    );
    await processor.process(claimed({ lastOutcomeUnknown: true }));
    expect(throttles.reported).toEqual(Array(expected).fill('lookup'));
  });
});
