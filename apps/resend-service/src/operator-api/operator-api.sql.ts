import type { SqlStatement } from '#sql';
import type { ListCondition, NewestFirstList } from './newest-first-page.js';

/**
 * The statements of the operator API: it reads the tables the flow keeps (resend_request,
 * submission_attempt, outbox_event, dead_letter) and marks a dead letter replayed. A list's
 * statement is put together per page from the parts below (newest-first-page.ts).
 */

const REQUEST_SUMMARY_COLUMNS = `r.id, r.request_id, r.key_id, r.status, r.task_name, r.correlation_id, r.attempts,
  r.provider_task_id, r.error_code, r.error_category, r.received_at, r.finished_at`;

export const requestList: NewestFirstList = {
  name: 'operator-api.list-requests',
  table: 'resend_request',
  alias: 'r',
  columns: REQUEST_SUMMARY_COLUMNS,
  kind: 'requests',
};

export const requestFilters = {
  keyId: { name: 'key-id', condition: (p) => `key_id = ${p}` },
  status: { name: 'status', condition: (p) => `status = ${p}` },
} satisfies Record<string, ListCondition>;

/** $1: the requestId. With the requestId of the request it repeats (duplicate_of). */
export const findRequest: SqlStatement = {
  name: 'operator-api.find-request',
  text: `SELECT ${REQUEST_SUMMARY_COLUMNS}, r.error_message, r.resolved_by_lookup, r.payload, r.provider_body,
                r.kafka_topic, r.kafka_partition, r.kafka_offset, r.first_attempt_at, r.next_attempt_at,
                r.lease_owner, r.lease_expires_at, r.outcome_unknown, r.trace_parent, original.request_id AS duplicate_of_request_id
           FROM resend_request r LEFT JOIN resend_request original ON original.id = r.duplicate_of
          WHERE r.request_id = $1`,
};

/** $1: the request's row id. Its provider calls, in order. */
export const findAttempts: SqlStatement = {
  name: 'operator-api.find-attempts',
  text: `SELECT attempt_number, kind, outcome, started_at, finished_at, http_status, provider_status, provider_reason,
                error_code, error_message, latency_ms, request_body
           FROM submission_attempt WHERE request_id = $1 ORDER BY attempt_number`,
};

/** $1: the requestId. The outcome events written for it, published or not. */
export const findOutcomeEvents: SqlStatement = {
  name: 'operator-api.find-outcome-events',
  text: `SELECT id, topic, created_at, published_at, refused_at FROM outbox_event
          WHERE request_id = $1 ORDER BY created_at, id`,
};

/** Listing leaves a dead letter's bytes out (their sizes only). */
const DEAD_LETTER_SUMMARY_COLUMNS = `id, kafka_topic, kafka_partition, kafka_offset, reason, error_message, received_at,
  octet_length(message_key) AS key_size, octet_length(message_value) AS value_size,
  replayed_at, replayed_by, replay_event_id`;

export const deadLetterList: NewestFirstList = {
  name: 'operator-api.list-dead-letters',
  table: 'dead_letter',
  columns: DEAD_LETTER_SUMMARY_COLUMNS,
  kind: 'dead-letters',
};

export const deadLetterFilters = {
  since: { name: 'since', condition: (p) => `received_at >= ${p}::timestamptz` },
} satisfies Record<string, ListCondition>;

/** $1: the dead letter's id. With its bytes. */
export const findDeadLetter: SqlStatement = {
  name: 'operator-api.find-dead-letter',
  text: `SELECT ${DEAD_LETTER_SUMMARY_COLUMNS}, message_key, message_value, headers FROM dead_letter WHERE id = $1`,
};

/**
 * Marks dead letter $1 replayed by $2 as outbox event $3, and returns what to republish; no row
 * when it was replayed already. Of two concurrent replays, the second waits for the first's row
 * lock and then finds the mark set.
 */
export const markDeadLetterReplayed: SqlStatement = {
  name: 'operator-api.mark-dead-letter-replayed',
  text: `WITH marked AS (
           UPDATE dead_letter SET replayed_at = now(), replayed_by = $2, replay_event_id = $3
            WHERE id = $1 AND replayed_at IS NULL
           RETURNING kafka_topic, message_key, message_value, headers, replayed_at)
         SELECT * FROM marked`,
};

/** $1: the dead letter's id. Why a replay did not mark it: no row (no such dead letter), or when it was replayed. */
export const findDeadLetterReplayedAt: SqlStatement = {
  name: 'operator-api.find-dead-letter-replayed-at',
  text: `SELECT replayed_at FROM dead_letter WHERE id = $1`,
};
