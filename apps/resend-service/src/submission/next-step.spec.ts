import { buildClassifier, type Classification, type ProviderCallResult } from '#itniotech';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import type { ClaimedRequest } from './claimed-request.js';
import { stepAfterClaim, stepAfterLookup, stepAfterSubmit } from './next-step.js';
import { RetryPolicy } from './retry-policy.js';

const now = new Date('2026-11-28T12:00:00Z');
const policy = new RetryPolicy({
  provider: { lookupSettleMs: 20_000 },
  submission: { maxAttempts: 3, maxAgeMs: 3_600_000, backoffBaseMs: 1_000, backoffMaxMs: 60_000, longBackoffMs: 30_000 },
} as AppConfig);

function claimed(overrides: Partial<ClaimedRequest> = {}): ClaimedRequest {
  return {
    id: 'row',
    requestId: 'req',
    keyId: 1,
    taskName: 'task',
    correlationId: null,
    providerBody: { keyId: 1, taskName: 'task', scriptId: 1 } as ClaimedRequest['providerBody'],
    attempts: 1,
    lastOutcomeUnknown: false,
    unknownCallSettlesInMs: 0,
    exhausted: false,
    hadUnknownOutcome: false,
    lookupFailures: 0,
    errorCode: null,
    errorMessage: null,
    receivedAt: new Date(now.getTime() - 1_000),
    firstAttemptAt: now,
    leaseOwner: 'instance/1',
    submitAttemptId: '10',
    traceParent: null,
    traceState: null,
    ...overrides,
  };
}

const meta = { latencyMs: 5, timestamp: 1 };
const accepted: ProviderCallResult = { kind: 'accepted', taskId: 99, httpStatus: 200, providerStatus: '0', reason: 'ok', ...meta };
const rejected = (status: string): ProviderCallResult => ({
  kind: 'rejected',
  httpStatus: 200,
  providerStatus: status,
  reason: 'no',
  ...meta,
});
const verdict = (overrides: Partial<Classification>): Classification => ({
  decision: 'final',
  retryDelay: 'normal',
  outcomeUnknown: false,
  errorCode: '-42',
  message: 'why',
  ...overrides,
});

describe('stepAfterClaim', () => {
  it('looks an unknown earlier outcome up before anything else, even when exhausted', () => {
    expect(stepAfterClaim(claimed({ lastOutcomeUnknown: true, exhausted: true }))).toEqual({ kind: 'look_up' });
  });

  it('gives an exhausted request up without a call, with the last error', () => {
    expect(stepAfterClaim(claimed({ exhausted: true, attempts: 3, errorCode: '-15', errorMessage: 'too fast' }))).toEqual({
      kind: 'fail',
      failure: { code: '-15', message: 'gave up after 3 attempts: too fast', category: 'retries_exhausted' },
    });
  });

  it('submits otherwise', () => {
    expect(stepAfterClaim(claimed())).toEqual({ kind: 'submit' });
  });
});

describe('stepAfterSubmit', () => {
  it('completes on an accepted call', () => {
    expect(stepAfterSubmit(claimed(), accepted, verdict({ decision: 'success' }), policy, now)).toEqual({
      kind: 'complete',
      taskId: 99,
      resolvedByLookup: false,
    });
  });

  it('fails on a final answer', () => {
    expect(stepAfterSubmit(claimed(), rejected('-42'), verdict({}), policy, now)).toEqual({
      kind: 'fail',
      failure: { code: '-42', message: 'why', category: 'provider_rejected' },
    });
  });

  it('looks the task up after -41/-20 when an earlier outcome was unknown (it is most likely ours)', () => {
    const step = stepAfterSubmit(claimed({ hadUnknownOutcome: true }), rejected('-41'), verdict({ errorCode: '-41' }), policy, now);
    expect(step).toMatchObject({ kind: 'retry', retryInMs: 0, outcomeUnknown: true, errorCode: '-41' });
  });

  it('looks the task up after -41/-20 when this claim found the outcome unknown, though no finish recorded it (a crash or lost lease mid-call)', () => {
    const afterCrash = claimed({ lastOutcomeUnknown: true, hadUnknownOutcome: false });
    for (const code of ['-41', '-20']) {
      const step = stepAfterSubmit(afterCrash, rejected(code), verdict({ errorCode: code }), policy, now);
      expect(step).toMatchObject({ kind: 'retry', outcomeUnknown: true, errorCode: code });
    }
  });

  it('fails on -41 when no call of the request had an unknown outcome (someone else holds the name)', () => {
    expect(stepAfterSubmit(claimed(), rejected('-41'), verdict({ errorCode: '-41' }), policy, now)).toMatchObject({
      kind: 'fail',
      failure: { code: '-41', category: 'provider_rejected' },
    });
  });

  it('keeps a final answer that may have created the task for a lookup before failing', () => {
    const step = stepAfterSubmit(claimed(), rejected('0'), verdict({ errorCode: 'BAD_RESPONSE', outcomeUnknown: true }), policy, now);
    expect(step).toMatchObject({ kind: 'look_up_before_failing', failure: { code: 'BAD_RESPONSE', category: 'provider_rejected' } });
  });

  it('trusts the lookup after a final answer at once only when the provider answered (HTTP 2xx): nothing of that call is on its way', () => {
    const garbled: ProviderCallResult = { kind: 'http_error', httpStatus: 200, bodyExcerpt: '<html>', ...meta };
    const badResponse = verdict({ errorCode: 'BAD_RESPONSE', outcomeUnknown: true });
    expect(stepAfterSubmit(claimed(), garbled, badResponse, policy, now)).toMatchObject({ kind: 'look_up_before_failing', settlesInMs: 0 });
    // A timeout overridden to final: the provider may still create the task after the client gave up.
    const timedOut: ProviderCallResult = { kind: 'transport_error', errorCode: 'TIMEOUT', message: 't', outcomeUnknown: true, ...meta };
    const finalTimeout = verdict({ errorCode: 'TIMEOUT', outcomeUnknown: true });
    expect(stepAfterSubmit(claimed(), timedOut, finalTimeout, policy, now)).toMatchObject({
      kind: 'look_up_before_failing',
      settlesInMs: 20_000,
    });
  });

  it('retries a retryable answer with backoff, remembering whether the outcome is unknown', () => {
    const step = stepAfterSubmit(claimed(), rejected('-15'), verdict({ decision: 'retry', errorCode: '-15' }), policy, now);
    expect(step).toMatchObject({ kind: 'retry', outcomeUnknown: false, errorCode: '-15' });
    expect(step.kind === 'retry' && step.retryInMs).toBeGreaterThan(0);
  });

  it('gives up when attempts are exhausted, unless the outcome is unknown (then it is looked up first)', () => {
    const tired = claimed({ attempts: 3 });
    expect(stepAfterSubmit(tired, rejected('-15'), verdict({ decision: 'retry', errorCode: '-15' }), policy, now)).toMatchObject({
      kind: 'fail',
      failure: { category: 'retries_exhausted', message: 'gave up after 3 attempts: why' },
    });
    const unknown = verdict({ decision: 'retry', errorCode: 'TIMEOUT', outcomeUnknown: true });
    expect(stepAfterSubmit(tired, rejected('x'), unknown, policy, now)).toMatchObject({ kind: 'retry', outcomeUnknown: true });
  });

  // The policy above: longBackoffMs 30 s, backoffBaseMs 1 s; a delay lies between half and all of base × 2^(attempts-1).
  it('retries -37 (as the default table classifies it) after the long backoff, not the normal one', () => {
    const classify = buildClassifier();
    const afterFirst = stepAfterSubmit(claimed({ attempts: 1 }), rejected('-37'), classify(rejected('-37')), policy, now);
    expect(afterFirst).toMatchObject({ kind: 'retry', errorCode: '-37', outcomeUnknown: false });
    const firstDelay = afterFirst.kind === 'retry' ? afterFirst.retryInMs : NaN;
    expect(firstDelay).toBeGreaterThanOrEqual(15_000);
    expect(firstDelay).toBeLessThanOrEqual(30_000);
    const afterSecond = stepAfterSubmit(claimed({ attempts: 2 }), rejected('-37'), classify(rejected('-37')), policy, now);
    const secondDelay = afterSecond.kind === 'retry' ? afterSecond.retryInMs : NaN;
    expect(secondDelay).toBeGreaterThanOrEqual(30_000);
    expect(secondDelay).toBeLessThanOrEqual(60_000);
    const afterThrottle = stepAfterSubmit(claimed({ attempts: 1 }), rejected('-15'), classify(rejected('-15')), policy, now);
    expect(afterThrottle.kind === 'retry' && afterThrottle.retryInMs).toBeLessThanOrEqual(1_000);
  });
});

describe('stepAfterLookup', () => {
  const found = { kind: 'found' as const, tasks: [{ jobId: 5, taskName: 'task', status: 0, createdTime: '' }] };

  it('completes from a found task, without a new call', () => {
    expect(stepAfterLookup(claimed(), found, policy)).toEqual({ kind: 'complete', taskId: 5, resolvedByLookup: true });
  });

  it('sends when nothing was found, or gives up when exhausted, or fails with the answer that waited for it', () => {
    expect(stepAfterLookup(claimed(), { kind: 'not_found' }, policy)).toEqual({ kind: 'submit' });
    expect(stepAfterLookup(claimed({ exhausted: true }), { kind: 'not_found' }, policy)).toMatchObject({
      kind: 'fail',
      failure: { category: 'retries_exhausted' },
    });
    const failure = { code: 'BAD_RESPONSE', message: 'm', category: 'provider_rejected' as const };
    expect(stepAfterLookup(claimed(), { kind: 'not_found' }, policy, { failure, settlesInMs: 0 })).toEqual({ kind: 'fail', failure });
  });

  it('does not believe "not found" before the call of unknown outcome has settled: looks again then, sends nothing', () => {
    const early = claimed({ lastOutcomeUnknown: true, unknownCallSettlesInMs: 12_000, errorCode: 'TIMEOUT', errorMessage: 'no answer' });
    expect(stepAfterLookup(early, { kind: 'not_found' }, policy)).toEqual({
      kind: 'retry',
      retryInMs: 12_000,
      outcomeUnknown: true,
      errorCode: 'TIMEOUT',
      errorMessage: 'no answer',
    });
    // Not even when the request is out of attempts, nor when a final answer waits for the lookup.
    expect(stepAfterLookup({ ...early, exhausted: true }, { kind: 'not_found' }, policy)).toMatchObject({ kind: 'retry' });
    const failure = { code: 'TIMEOUT', message: 'm', category: 'provider_rejected' as const };
    expect(stepAfterLookup(claimed(), { kind: 'not_found' }, policy, { failure, settlesInMs: 20_000 })).toMatchObject({
      kind: 'retry',
      retryInMs: 20_000,
      outcomeUnknown: true,
    });
  });

  it('believes "found" at once, settled or not', () => {
    expect(stepAfterLookup(claimed({ unknownCallSettlesInMs: 12_000 }), found, policy)).toMatchObject({ kind: 'complete' });
  });

  it('retries a failed lookup, keeping the outcome unknown, and fails as outcome_unknown when lookups keep failing', () => {
    const failed = { kind: 'failed' as const, errorCode: 'HTTP_503', message: 'down' };
    expect(stepAfterLookup(claimed(), failed, policy)).toMatchObject({
      kind: 'retry',
      outcomeUnknown: true,
      lookupFailed: true,
      errorMessage: 'task lookup failed: down',
    });
    expect(stepAfterLookup(claimed({ lookupFailures: 2 }), failed, policy)).toMatchObject({
      kind: 'fail',
      failure: { code: 'HTTP_503', category: 'outcome_unknown' },
    });
  });
});
