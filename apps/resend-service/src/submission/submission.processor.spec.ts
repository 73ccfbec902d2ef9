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
  const budget = { reportThrottled: async () => {}, chargeExtraCalls: async (calls: number) => void charged.push(calls) };
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
  return { processor, charged };
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
