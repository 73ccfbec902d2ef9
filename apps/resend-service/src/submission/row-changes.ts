import type { FinishedCall, RecordedStep } from './result-recorder.js';
import type { AcceptedRow } from './submission.sql.js';

/**
 * The row change a call asks for (one element of finishRequests' JSON), and which calls a
 * finishing statement accepted. A call is its request under the lease it was claimed with: a group
 * may hold two calls of one request (its lease ran out while the first result waited, and it was
 * claimed again), and the statement accepts at most one of them — the one whose lease it finds.
 */
export class AcceptedCalls {
  private readonly leases: Set<string>;

  private constructor(leases: Iterable<string>) {
    this.leases = new Set(leases);
  }

  /** The calls a statement's rows name (request id and lease owner). */
  static of(rows: readonly AcceptedRow[]): AcceptedCalls {
    return new AcceptedCalls(rows.map((row) => leaseKey(row.id, row.lease_owner)));
  }

  has({ request }: FinishedCall): boolean {
    return this.leases.has(leaseKey(request.id, request.leaseOwner));
  }

  and(other: AcceptedCalls): AcceptedCalls {
    return new AcceptedCalls([...this.leases, ...other.leases]);
  }
}

function leaseKey(requestId: string, leaseOwner: string): string {
  // Unambiguous whatever the lease owner holds: the request id before it is a UUID, of fixed length.
  return `${requestId} ${leaseOwner}`;
}

/**
 * The row change a call stands for; `eventId` is its own outcome event's id (null: none, or not
 * written by this statement).
 */
export function changeOf({ request, step, attempt }: FinishedCall, eventId: string | null) {
  return { id: request.id, lease_owner: request.leaseOwner, event_id: eventId, attempt: attempt ?? null, ...stepColumns(step) };
}

/** Every column a step sets, the same keys in the same order for each kind. */
function stepColumns(step: RecordedStep) {
  switch (step.kind) {
    case 'complete':
      return columns({
        status: 'completed',
        provider_task_id: step.taskId,
        resolved_by_lookup: step.resolvedByLookup,
        outcome_unknown: false,
        error_code: null,
        error_message: null,
        error_category: null,
      });
    case 'fail':
      return columns({
        status: 'failed',
        outcome_unknown: false,
        error_code: step.failure.code,
        error_message: step.failure.message,
        error_category: step.failure.category,
      });
    case 'retry':
      return columns({
        status: 'pending',
        outcome_unknown: step.outcomeUnknown,
        lookup_failed: step.lookupFailed ?? false,
        retry_in_ms: step.retryInMs,
        error_code: step.errorCode,
        error_message: step.errorMessage,
        error_category: null,
      });
    case 'look_up_before_failing':
      return columns({
        status: 'in_progress',
        outcome_unknown: true,
        error_code: step.failure.code,
        error_message: step.failure.message,
        error_category: null,
      });
  }
}

interface StepColumns {
  status: string;
  provider_task_id?: number | null;
  resolved_by_lookup?: boolean | null;
  outcome_unknown: boolean;
  lookup_failed?: boolean;
  retry_in_ms?: number | null;
  error_code: string | null;
  error_message: string | null;
  error_category: string | null;
}

/** A step's columns with the defaults for those it leaves out (keep: null). */
function columns(set: StepColumns) {
  return {
    status: set.status,
    provider_task_id: set.provider_task_id ?? null,
    resolved_by_lookup: set.resolved_by_lookup ?? null,
    outcome_unknown: set.outcome_unknown,
    lookup_failed: set.lookup_failed ?? false,
    retry_in_ms: set.retry_in_ms ?? null,
    error_code: set.error_code,
    error_message: set.error_message,
    error_category: set.error_category,
  };
}
