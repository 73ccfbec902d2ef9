import type { SqlStatement } from '#sql';
import { insertOutboxRows } from '#outbox';

/**
 * The statements of submission. A request's happy path is two of them, each shared by a group of
 * requests: `claimAndMarkInFlight` before the call — or `claimRecordedRequests`, in the intake
 * transaction that records it —, `finishRequestsAndReport` after it (with the outcome events, in
 * one transaction; `finishRequests` and `answerRepeats` when repeats wait for a request).
 */

/**
 * Sent before claimAndMarkInFlight, in its transaction: the claim must walk
 * resend_request_claim_order from its head and stop after $3 rows, whatever the statistics say.
 * On a table PostgreSQL has not analyzed yet (a new database, a backlog in its first minute) it
 * takes the due rows for a handful and reads and sorts all of them instead, for every claim:
 * 9–17 ms a claim with 20,000 pending, against 0.1 ms walking the index
 * (test/submission/submission-claim-plan.e2e-spec.ts). Sorting is priced out for that one transaction.
 */
export const claimInIndexOrder = 'SET LOCAL enable_sort = off';

/**
 * Claims up to $3 due requests (pending and due, or in progress with an expired lease) under the
 * lease $1, and marks those about to be sent as in flight (outcome unknown) with their attempt
 * row — committed before any call, so that whoever resumes the request after a crash looks the
 * task up first. A request whose last outcome is unknown is not marked: it is looked up first.
 * `exhausted` applies SUBMISSION_MAX_ATTEMPTS ($4) and SUBMISSION_MAX_AGE_MS ($5): such a request
 * is not sent again (RetryPolicy.isExhausted says the same after a call). The lease runs from
 * clock_timestamp(), the statement's own moment: now() is the transaction's start, and a lease
 * computed from it could be partly spent, or expired, by the time the claim commits.
 * `unknown_call_settles_in_ms`, for a request whose outcome is unknown: how long, from now, the
 * provider may still be processing its last call (started_at of its last submit attempt plus
 * ITNIOTECH_LOOKUP_SETTLE_MS, $6) — a lookup that finds nothing before then is not believed. 0 once
 * that has passed, and for every other request. On the database's clock, like started_at.
 */
export const claimAndMarkInFlight: SqlStatement = {
  name: 'submission.claim-and-mark-in-flight',
  text: `WITH candidate AS (
           SELECT id, outcome_unknown AS was_unknown,
                  attempts >= $4 OR received_at <= now() - make_interval(secs => $5::double precision / 1000) AS exhausted
             FROM resend_request
            WHERE (status = 'pending' AND next_attempt_at <= now())
               OR (status = 'in_progress' AND lease_expires_at < now())
            -- Lookups after unknown outcomes first: a long queue of new submissions must not starve them.
            ORDER BY outcome_unknown DESC, next_attempt_at
            LIMIT $3
              FOR UPDATE SKIP LOCKED
         ), claimed AS (
           UPDATE resend_request r
              SET status = 'in_progress', lease_owner = $1,
                  lease_expires_at = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
                  outcome_unknown = r.outcome_unknown OR NOT c.exhausted,
                  attempts = r.attempts + CASE WHEN c.was_unknown OR c.exhausted THEN 0 ELSE 1 END,
                  first_attempt_at = CASE WHEN c.was_unknown OR c.exhausted THEN r.first_attempt_at
                                          ELSE COALESCE(r.first_attempt_at, now()) END,
                  updated_at = now()
             FROM candidate c
            WHERE r.id = c.id
           RETURNING r.id, r.request_id, r.key_id::text AS key_id, r.task_name, r.correlation_id, r.provider_body,
                     r.attempts, c.was_unknown, c.exhausted, r.had_unknown_outcome, r.lookup_failures,
                     r.error_code, r.error_message, r.received_at, r.first_attempt_at, r.trace_parent, r.trace_state
         ), started AS (
           INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body)
           SELECT claimed.id,
                  (SELECT COALESCE(MAX(a.attempt_number), 0) + 1 FROM submission_attempt a WHERE a.request_id = claimed.id),
                  'submit', claimed.provider_body
             FROM claimed
            WHERE NOT claimed.was_unknown AND NOT claimed.exhausted
           RETURNING id, request_id
         )
         SELECT claimed.*, started.id::text AS attempt_id,
                COALESCE((SELECT greatest(0, ceil(extract(epoch FROM max(a.started_at) + make_interval(secs => $6::double precision / 1000)
                                                                  - clock_timestamp()) * 1000))
                            FROM submission_attempt a
                           WHERE claimed.was_unknown AND a.request_id = claimed.id AND a.kind = 'submit'), 0)::integer
                  AS unknown_call_settles_in_ms
           FROM claimed LEFT JOIN started ON started.request_id = claimed.id`,
};
export interface ClaimedRow {
  id: string;
  request_id: string;
  key_id: string;
  task_name: string;
  correlation_id: string | null;
  provider_body: object;
  attempts: number;
  was_unknown: boolean;
  exhausted: boolean;
  had_unknown_outcome: boolean;
  lookup_failures: number;
  error_code: string | null;
  error_message: string | null;
  received_at: Date;
  first_attempt_at: Date | null;
  /** The context of the span that recorded the request: the trace this claim continues. */
  trace_parent: string | null;
  trace_state: string | null;
  attempt_id: string | null;
  unknown_call_settles_in_ms: number;
}

/**
 * Claims, inside the intake transaction that records them, new pending requests ($1) this instance
 * has free call slots for, under the lease $2 of $3 ms: the same row change and attempt row as
 * `claimAndMarkInFlight` makes for a first call, committed with the request itself — so the call
 * can start as soon as intake commits, and a crash after that commit leaves a request that is
 * looked up after its lease expires, as after any claim. The lease runs from clock_timestamp(): the
 * intake transaction may have waited for row locks since it began (now()); so does the attempt's
 * started_at, from which a lookup's settle delay is counted (claimAndMarkInFlight).
 */
export const claimRecordedRequests: SqlStatement = {
  name: 'submission.claim-recorded-requests',
  text: `WITH claimed AS (
           UPDATE resend_request
              SET status = 'in_progress', lease_owner = $2,
                  lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000),
                  outcome_unknown = true, attempts = 1, first_attempt_at = now(), updated_at = now()
            WHERE id = ANY($1::uuid[]) AND status = 'pending' AND attempts = 0
           RETURNING id, received_at, first_attempt_at, provider_body
         ), started AS (
           INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body, started_at)
           SELECT id, 1, 'submit', provider_body, clock_timestamp() FROM claimed
           RETURNING id, request_id
         )
         SELECT claimed.id, claimed.received_at, claimed.first_attempt_at, started.id::text AS attempt_id
           FROM claimed JOIN started ON started.request_id = claimed.id`,
};
export interface ClaimedAtIntakeRow {
  id: string;
  received_at: Date;
  first_attempt_at: Date;
  attempt_id: string;
}

/** After a lookup found no task: the call may be made now; marked in flight first, as at the claim. Fenced by the lease. */
export const markSubmitInFlight: SqlStatement = {
  name: 'submission.mark-submit-in-flight',
  text: `WITH marked AS (
           UPDATE resend_request
              SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, now()),
                  outcome_unknown = true, updated_at = now()
            WHERE id = $1 AND status = 'in_progress' AND lease_owner = $2
           RETURNING id, attempts, first_attempt_at, provider_body
         ), started AS (
           INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body)
           SELECT marked.id,
                  (SELECT COALESCE(MAX(a.attempt_number), 0) + 1 FROM submission_attempt a WHERE a.request_id = marked.id),
                  'submit', marked.provider_body
             FROM marked
           RETURNING id
         )
         SELECT marked.attempts, marked.first_attempt_at, started.id::text AS attempt_id FROM marked, started`,
};

/** The attempt row of a lookup, written before it is made (lookups are not claimed with one). */
export const startLookupAttempt: SqlStatement = {
  name: 'submission.start-lookup-attempt',
  text: `INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body)
         VALUES ($1, (SELECT COALESCE(MAX(attempt_number), 0) + 1 FROM submission_attempt WHERE request_id = $1), 'lookup', $2)
         RETURNING id::text AS id`,
};

/** Completes attempt rows whose request is not changed with them (a lookup that found nothing). */
export const finishAttempts: SqlStatement = {
  name: 'submission.finish-attempts',
  text: `UPDATE submission_attempt a
            SET finished_at = now(), outcome = f.outcome, sign_timestamp = f.sign_timestamp, latency_ms = f.latency_ms,
                http_status = f.http_status, provider_status = f.provider_status, provider_reason = f.provider_reason,
                error_code = f.error_code, error_message = f.error_message
           FROM jsonb_to_recordset($1::jsonb) AS f(id bigint, outcome text, sign_timestamp bigint, latency_ms integer,
                http_status integer, provider_status text, provider_reason text, error_code text, error_message text)
          WHERE a.id = f.id`,
};

/**
 * What finishRequests and finishRequestsAndReport take as $1: a JSON array of row changes, one per
 * call (row-changes.ts). `event_id` names the call's own outcome event: a group may hold two calls
 * of one request (a lease that ran out while the first result waited, and a new claim), and only
 * the call whose lease the UPDATE finds may write its event.
 */
const changes = `change AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(
                  id uuid, lease_owner text, event_id uuid, status text, provider_task_id bigint, resolved_by_lookup boolean,
                  outcome_unknown boolean, lookup_failed boolean, error_code text, error_message text, error_category text,
                  retry_in_ms double precision, attempt jsonb)
         )`;

/**
 * Each request's new state, fenced by its lease, where `condition` also holds. Returns the change
 * it accepted (its lease owner and event): of two calls of one request, at most one holds the lease.
 */
const finishedWhere = (condition: string) => `finished AS (
           UPDATE resend_request r
              SET status = c.status,
                  provider_task_id = COALESCE(c.provider_task_id, r.provider_task_id),
                  resolved_by_lookup = COALESCE(c.resolved_by_lookup, r.resolved_by_lookup),
                  outcome_unknown = c.outcome_unknown,
                  had_unknown_outcome = r.had_unknown_outcome OR c.outcome_unknown,
                  lookup_failures = r.lookup_failures + CASE WHEN c.lookup_failed THEN 1 ELSE 0 END,
                  error_code = c.error_code, error_message = c.error_message, error_category = c.error_category,
                  next_attempt_at = clock_timestamp() + make_interval(secs => c.retry_in_ms / 1000),
                  finished_at = CASE WHEN c.status IN ('completed', 'failed') THEN now() END,
                  lease_owner = CASE WHEN c.status = 'in_progress' THEN r.lease_owner END,
                  lease_expires_at = CASE WHEN c.status = 'in_progress' THEN r.lease_expires_at END,
                  updated_at = now()
             FROM change c
            WHERE r.id = c.id AND r.status = 'in_progress' AND r.lease_owner = c.lease_owner AND ${condition}
           RETURNING r.id, r.has_repeats, c.lease_owner, c.event_id
         )`;

/** The attempt rows of the calls accepted (a call whose lease was lost leaves its row to the new owner). */
const attemptsLogged = `logged AS (
           UPDATE submission_attempt a
              SET finished_at = now(), outcome = f.outcome, sign_timestamp = f.sign_timestamp, latency_ms = f.latency_ms,
                  http_status = f.http_status, provider_status = f.provider_status, provider_reason = f.provider_reason,
                  error_code = f.error_code, error_message = f.error_message
             FROM change c
                  CROSS JOIN LATERAL jsonb_to_record(c.attempt) AS f(id bigint, outcome text, sign_timestamp bigint,
                  latency_ms integer, http_status integer, provider_status text, provider_reason text, error_code text,
                  error_message text)
            WHERE c.attempt IS NOT NULL AND a.id = f.id AND (c.id, c.lease_owner) IN (SELECT id, lease_owner FROM finished)
         )`;

/**
 * Records what calls ended with, for a group of requests: each request's new state, fenced by its
 * lease (a request whose lease was taken over is left to its new owner, and so is its attempt row),
 * and its attempt row. Returns the calls it accepted (request and lease owner), and whether repeats
 * may wait for them (`has_repeats`, as committed: set by intake, which holds the row's lock while it
 * records a repeat).
 */
export const finishRequests: SqlStatement = {
  name: 'submission.finish-requests',
  text: `WITH ${changes}, ${finishedWhere('true')}, ${attemptsLogged}
         SELECT id, lease_owner, has_repeats FROM finished`,
};

/**
 * finishRequests and the outcome events in one statement, for the usual group: sent with BEGIN and
 * COMMIT in one round trip, as nothing has to be read first. An event ($2..$10: the outbox
 * library's insertOutboxRows, with the parameters OutboxWriter.addInStatement gives) is written
 * only if the change naming it (`event_id`) was accepted — never the event of another call of the
 * same request. A request that would end while repeats wait for it is
 * left as it is (not returned): its repeats must be answered in the same transaction, by a
 * statement of their own (answerRepeats), so ResultRecorder writes it again with finishRequests.
 * `has_repeats` is read after any wait for the row's lock (READ COMMITTED rechecks the updated
 * row), so a repeat that intake commits meanwhile is seen (test/submission/finish-and-report.e2e-spec.ts).
 */
export const finishRequestsAndReport: SqlStatement = {
  name: 'submission.finish-requests-and-report',
  text: `WITH ${changes}, ${finishedWhere(`NOT (r.has_repeats AND c.status IN ('completed', 'failed'))`)}, ${attemptsLogged},
         reported AS (
           ${insertOutboxRows(2, 'SELECT event_id FROM finished')}
         )
         SELECT id, lease_owner FROM finished`,
};
/** A call a finishing statement accepted: its request, and the lease it held. */
export interface AcceptedRow {
  id: string;
  lease_owner: string;
}
export interface FinishedRow extends AcceptedRow {
  has_repeats: boolean;
}

/**
 * The repeats of requests that just ended (same transaction, and a statement of its own: it must
 * see repeats an intake committed while `finishRequests` waited for its row lock, which that
 * statement's snapshot cannot). Each takes its original's result; its outcome event is built from
 * what this returns. Run only for requests whose `has_repeats` is set.
 */
export const answerRepeats: SqlStatement = {
  name: 'submission.answer-repeats',
  text: `UPDATE resend_request d
            SET finished_at = now(), provider_task_id = o.provider_task_id,
                error_code = o.error_code, error_message = o.error_message, error_category = o.error_category,
                updated_at = now()
           FROM resend_request o
          WHERE o.id = ANY($1::uuid[]) AND o.status IN ('completed', 'failed')
            AND d.duplicate_of = o.id AND d.status = 'duplicate' AND d.finished_at IS NULL
         RETURNING d.request_id, d.key_id::text AS key_id, d.task_name, d.correlation_id, d.trace_parent, d.trace_state,
                   o.request_id AS original_request_id, o.status AS original_status, o.provider_task_id::text AS provider_task_id,
                   o.error_code, o.error_message, o.error_category`,
};
export interface AnsweredRepeatRow {
  request_id: string;
  key_id: string;
  task_name: string;
  correlation_id: string | null;
  /** The repeat's own trace context: its outcome belongs to the trace of its own message. */
  trace_parent: string | null;
  trace_state: string | null;
  original_request_id: string;
  original_status: 'completed' | 'failed';
  provider_task_id: string | null;
  error_code: string | null;
  error_message: string | null;
  error_category: string | null;
}
