import type { ResendAiRequest } from '#itniotech';
import type { ClaimedRow } from './submission.sql.js';

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
  /** The last call's outcome is unknown: look the task up before anything else. */
  lastOutcomeUnknown: boolean;
  /** Out of attempts or too old: not sent again. */
  exhausted: boolean;
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
