import type { ResendAiRequest } from '#itniotech';
import type { ClaimedAtIntakeRow, ClaimedRow } from './submission.sql.js';

/** A request this worker holds under a lease, as the claim returned it. */
export interface ClaimedRequest {
  id: string;
  requestId: string;
  keyId: number;
  taskName: string;
  correlationId: string | null;
  providerBody: ResendAiRequest;
  /** Provider calls made for it so far, counting the one the claim marked in flight. */
  attempts: number;
  /**
   * The request's in-flight mark (outcome_unknown) was set when it was claimed (`was_unknown`):
   * a call of unknown outcome — a timeout, or a worker that died or lost its lease mid-call
   * without recording anything. Look the task up before anything else.
   */
  lastOutcomeUnknown: boolean;
  /**
   * With `lastOutcomeUnknown`: how long after the claim the provider may still be processing that
   * call (ITNIOTECH_LOOKUP_SETTLE_MS from its start); a lookup that finds nothing sooner is not
   * believed. 0 otherwise.
   */
  unknownCallSettlesInMs: number;
  /** Out of attempts or too old: not sent again. */
  exhausted: boolean;
  /** A finish once recorded an unknown outcome (had_unknown_outcome): set only by a committed finish, never by a crash. */
  hadUnknownOutcome: boolean;
  lookupFailures: number;
  errorCode: string | null;
  errorMessage: string | null;
  receivedAt: Date;
  firstAttemptAt: Date | null;
  /** The fencing token: every change of this request is made only while the lease is still this one. */
  leaseOwner: string;
  /** The attempt row of the call the claim marked in flight, if it marked one. */
  submitAttemptId: string | null;
  /** The W3C trace context stored at intake (resend_request.trace_parent / trace_state): this claim continues it. */
  traceParent: string | null;
  traceState: string | null;
}

export function claimedRequestFrom(row: ClaimedRow, leaseOwner: string): ClaimedRequest {
  return {
    id: row.id,
    requestId: row.request_id,
    keyId: Number(row.key_id),
    taskName: row.task_name,
    correlationId: row.correlation_id,
    providerBody: row.provider_body as ResendAiRequest,
    attempts: row.attempts,
    lastOutcomeUnknown: row.was_unknown,
    unknownCallSettlesInMs: row.unknown_call_settles_in_ms,
    exhausted: row.exhausted,
    hadUnknownOutcome: row.had_unknown_outcome,
    lookupFailures: row.lookup_failures,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    receivedAt: row.received_at,
    firstAttemptAt: row.first_attempt_at,
    leaseOwner,
    submitAttemptId: row.attempt_id,
    traceParent: row.trace_parent,
    traceState: row.trace_state,
  };
}

/** A new request as intake writes it (resend_request columns): what a claim in its transaction starts from. */
export interface RecordedRequest {
  id: string;
  request_id: string;
  key_id: number | null;
  task_name: string | null;
  correlation_id: string | null;
  provider_body: object | null;
  trace_parent: string | null;
  trace_state: string | null;
}

/** A new request claimed in the transaction that recorded it: its first call is marked in flight, nothing else has happened to it. */
export function claimedAtIntake(request: RecordedRequest, row: ClaimedAtIntakeRow, leaseOwner: string): ClaimedRequest {
  return {
    id: request.id,
    requestId: request.request_id,
    keyId: request.key_id!,
    taskName: request.task_name!,
    correlationId: request.correlation_id,
    providerBody: request.provider_body as ResendAiRequest,
    attempts: 1,
    lastOutcomeUnknown: false,
    unknownCallSettlesInMs: 0,
    exhausted: false,
    hadUnknownOutcome: false,
    lookupFailures: 0,
    errorCode: null,
    errorMessage: null,
    receivedAt: row.received_at,
    firstAttemptAt: row.first_attempt_at,
    leaseOwner,
    submitAttemptId: row.attempt_id,
    traceParent: request.trace_parent,
    traceState: request.trace_state,
  };
}
