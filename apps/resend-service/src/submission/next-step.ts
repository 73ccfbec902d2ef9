import type { Classification, ProviderCallResult, TaskLookupResult } from '#itniotech';
import type { FailureDescription } from '../outcome/outcome-events.js';
import type { ClaimedRequest } from './claimed-request.js';
import type { RetryPolicy } from './retry-policy.js';

/** Answers that, after a call whose outcome was unknown, most likely mean that call created our task. */
const TASK_ALREADY_EXISTS_CODES = new Set(['-41', '-20']);

/**
 * What happens to a claimed request next. The terminal ones (complete, fail) carry everything
 * the outcome event says; `retry` puts it back to pending for `retryInMs` (on the database's clock).
 */
export type NextStep =
  | { kind: 'look_up' }
  | { kind: 'submit' }
  | { kind: 'complete'; taskId: number; resolvedByLookup: boolean }
  | { kind: 'fail'; failure: FailureDescription }
  | { kind: 'retry'; retryInMs: number; outcomeUnknown: boolean; errorCode: string; errorMessage: string; lookupFailed?: boolean }
  /**
   * A final answer that may still have created the task (BAD_RESPONSE): it fails only if a lookup
   * finds nothing, believed only `settlesInMs` from now (0 when the provider answered).
   */
  | { kind: 'look_up_before_failing'; failure: FailureDescription; settlesInMs: number };

/** A final answer that waits for a lookup, and how long from the call's end a "not found" is not believed. */
export interface PendingFailure {
  failure: FailureDescription;
  settlesInMs: number;
}

/** Right after the claim: an unknown earlier outcome is resolved first; an exhausted request is not sent again. */
export function stepAfterClaim(request: ClaimedRequest): NextStep {
  if (request.lastOutcomeUnknown) return { kind: 'look_up' };
  if (request.exhausted) return exhaustedBeforeSending(request);
  return { kind: 'submit' };
}

/** After a resend call: its result, as classified. */
export function stepAfterSubmit(
  request: ClaimedRequest,
  result: ProviderCallResult,
  verdict: Classification,
  policy: RetryPolicy,
  now = new Date(),
): NextStep {
  if (result.kind === 'accepted') return { kind: 'complete', taskId: result.taskId, resolvedByLookup: false };
  if (verdict.decision === 'final') {
    if (mayHaveCreatedTaskBefore(request) && TASK_ALREADY_EXISTS_CODES.has(verdict.errorCode)) {
      return {
        kind: 'retry',
        retryInMs: 0,
        outcomeUnknown: true,
        errorCode: verdict.errorCode,
        errorMessage: `${verdict.message} (after an unknown outcome: looking the task up)`,
      };
    }
    const failure = { code: verdict.errorCode, message: verdict.message, category: 'provider_rejected' as const };
    if (!verdict.outcomeUnknown) return { kind: 'fail', failure };
    return { kind: 'look_up_before_failing', failure, settlesInMs: answeredByTheApi(result) ? 0 : policy.lookupSettleMs };
  }
  // An exhausted request whose last outcome is unknown still gets its lookup before it may fail.
  if (policy.isExhausted(request, now) && !verdict.outcomeUnknown) {
    return {
      kind: 'fail',
      failure: {
        code: verdict.errorCode,
        message: `gave up after ${request.attempts} attempts: ${verdict.message}`,
        category: 'retries_exhausted',
      },
    };
  }
  return {
    kind: 'retry',
    retryInMs: policy.retryDelayMs(request.attempts, verdict.retryDelay),
    outcomeUnknown: verdict.outcomeUnknown,
    errorCode: verdict.errorCode,
    errorMessage: verdict.message,
  };
}

/**
 * After looking the task up by name. `pending` is the final answer that waits for this lookup
 * (look_up_before_failing); without one, a task that does not exist may be sent now. "Not found"
 * is believed only once the call of unknown outcome has settled (ITNIOTECH_LOOKUP_SETTLE_MS after
 * it began): before that the provider may still be processing a call the client gave up on, so
 * the request is looked up again then, still unknown, and nothing is sent.
 */
export function stepAfterLookup(
  request: ClaimedRequest,
  result: TaskLookupResult,
  policy: RetryPolicy,
  pending?: PendingFailure,
): NextStep {
  if (result.kind === 'found') return { kind: 'complete', taskId: result.tasks[0]!.jobId, resolvedByLookup: true };
  if (result.kind === 'not_found') {
    const settlesInMs = pending ? pending.settlesInMs : request.unknownCallSettlesInMs;
    if (settlesInMs > 0) return lookUpAgainWhenSettled(request, settlesInMs, pending?.failure);
    if (pending) return { kind: 'fail', failure: pending.failure };
    return request.exhausted ? exhaustedBeforeSending(request) : { kind: 'submit' };
  }
  const lookupFailures = request.lookupFailures + 1;
  if (lookupFailures >= policy.maxLookupFailures) {
    return {
      kind: 'fail',
      failure: {
        code: result.errorCode,
        message: `the provider may or may not have created task "${request.taskName}": the lookup kept failing (${result.message}); check the provider before resending`,
        category: 'outcome_unknown',
      },
    };
  }
  return {
    kind: 'retry',
    retryInMs: policy.retryDelayMs(lookupFailures, 'normal'),
    outcomeUnknown: true,
    errorCode: result.errorCode,
    errorMessage: `task lookup failed: ${result.message}`,
    lookupFailed: true,
  };
}

/**
 * Nothing found too soon to believe it. The error the request had stays (the outcome it waits for);
 * no lookup failure is counted: the lookup worked. A final answer that waited for the lookup is not
 * kept: the next lookup decides as after any unknown outcome (found: completed; not found: sent again).
 */
function lookUpAgainWhenSettled(request: ClaimedRequest, settlesInMs: number, failure?: FailureDescription): NextStep {
  return {
    kind: 'retry',
    retryInMs: settlesInMs,
    outcomeUnknown: true,
    errorCode: failure?.code ?? request.errorCode ?? 'OUTCOME_UNKNOWN',
    errorMessage: failure?.message ?? request.errorMessage ?? 'the outcome of the last call is unknown',
  };
}

/**
 * The provider's API itself answered the call (HTTP 2xx, if unreadably): it has processed the call,
 * nothing of it is still on its way. A timeout, a broken connection or a gateway's 5xx say nothing of that.
 */
function answeredByTheApi(result: ProviderCallResult): boolean {
  return 'httpStatus' in result && result.httpStatus >= 200 && result.httpStatus < 300;
}

/**
 * An earlier call of this request may have created its task. Decided first by the claim
 * (`lastOutcomeUnknown`: the in-flight mark was still set, as after a crash or a lost lease
 * mid-call, which no finish recorded) — the model's `wasUnknown`; `hadUnknownOutcome` adds the
 * unknown outcomes that a finish did record in an earlier turn. Wrongly true costs a lookup;
 * wrongly false reports a task that exists as failed.
 */
function mayHaveCreatedTaskBefore(request: ClaimedRequest): boolean {
  return request.lastOutcomeUnknown || request.hadUnknownOutcome;
}

function exhaustedBeforeSending(request: ClaimedRequest): NextStep {
  return {
    kind: 'fail',
    failure: {
      code: request.errorCode ?? 'RETRIES_EXHAUSTED',
      message: `gave up after ${request.attempts} attempts: ${request.errorMessage ?? 'no answer'}`,
      category: 'retries_exhausted',
    },
  };
}
