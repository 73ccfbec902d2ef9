/** Why a request failed; consumers branch on this, not on `error.code`. */
export const ERROR_CATEGORIES = [
  'validation', // the request broke a rule in docs/validation.md; it was never sent to the provider
  'provider_rejected', // the provider answered with a final error status (error.code is that status)
  'retries_exhausted', // every attempt hit a retryable error (timeouts, 5xx, -15, -18, -37 ...)
  'duplicate', // the keyId already has a live or completed request (duplicateOf); it was not sent
  'outcome_unknown', // the provider may or may not have created the task and a lookup could not tell
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Value of a `campaign.resend.completed` message: the provider created the new task. */
export interface ResendCompletedEvent {
  requestId: string;
  keyId: number;
  taskName: string;
  /** The id of the task the provider created (the `data` of its answer). */
  newKeyId: number;
  attempts: number;
  /** ISO 8601 with a zone, when the provider accepted the request. */
  submittedAt: string;
  correlationId: string | null;
  /** True when the answer was lost and the new task was found by querying the provider instead. */
  resolvedByLookup: boolean;
  /** Present when this request repeated an earlier one: the answer is the earlier request's task. */
  duplicateOf?: { requestId: string; newKeyId: number | null };
}

/** Value of a `campaign.resend.failed` message: the request will not create a task. */
export interface ResendFailedEvent {
  requestId: string;
  /** Null only when the request itself did not carry a usable value (category "validation"). */
  keyId: number | null;
  taskName: string | null;
  error: { code: string; message: string; category: ErrorCategory };
  attempts: number;
  failedAt: string;
  correlationId: string | null;
  /** Present exactly when error.category is "duplicate": the earlier request holding the keyId. */
  duplicateOf?: { requestId: string; newKeyId: number | null };
}
