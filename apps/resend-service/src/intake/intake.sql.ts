import type { SqlStatement } from '#sql';

/**
 * The statements of intake, one each for a whole batch of one partition: what the batch meets in
 * the database (recorded before, and the live requests of its keyIds, locked), then the new rows.
 * Two round trips: BEGIN goes with the first, COMMIT with the second (Sql.transaction).
 * A batch of valid requests with their own requestIds and keyIds is first offered to
 * `insertNewRequests`, in one round trip; only what it turns away takes the two.
 */

/**
 * In one statement (one snapshot):
 * - `recorded`: rows already recorded under one of the batch's requestIds ($1; for a request
 *   without requestId, both names it may have: requestIdsToLookUp), with the fingerprint of the
 *   record each came from — a redelivery, or the earlier record at a reused position. Not looked
 *   up by position: a recreated topic hands positions out again, and a record read again always
 *   has the requestId it had;
 * - `live`: the requests holding the batch's keyIds ($2), locked until the batch commits. A worker
 *   finishing one of them waits, so a repeat recorded here is seen by the statement that answers
 *   its repeats. Locked in keyId order, so that two batches never wait on each other in a cycle.
 *   A row another transaction changes first is waited for and read as it is after that commit.
 * A row a concurrent intake adds after the snapshot is not seen by either: the insert then fails
 * on a unique index, and the caller records the batch again.
 */
export const selectRecordedAndLockLive: SqlStatement = {
  name: 'intake.select-recorded-and-lock-live',
  text: `WITH recorded AS (
           SELECT request_id, encode(kafka_record_fingerprint, 'hex') AS kafka_record_fingerprint
             FROM resend_request
            WHERE request_id = ANY($1::text[])
         ), live AS (
           SELECT id, request_id, key_id::text AS key_id, status, body_fingerprint, provider_task_id::text AS provider_task_id
             FROM resend_request
            WHERE key_id = ANY($2::bigint[]) AND status IN ('pending', 'in_progress', 'completed')
            ORDER BY key_id
              FOR UPDATE
         )
         SELECT (SELECT COALESCE(json_agg(recorded), '[]') FROM recorded) AS recorded,
                (SELECT COALESCE(json_agg(live), '[]') FROM live) AS live`,
};
export interface RecordedAndLiveRow {
  recorded: RecordedRow[];
  live: LiveRequestRow[];
}
export interface RecordedRow {
  request_id: string;
  /** Hex; null for a row recorded before record fingerprints were kept. */
  kafka_record_fingerprint: string | null;
}
export interface LiveRequestRow {
  id: string;
  request_id: string;
  key_id: string;
  status: 'pending' | 'in_progress' | 'completed';
  body_fingerprint: string | null;
  provider_task_id: string | null;
}

/**
 * Every new row of the batch. A unique index the batch did not see coming (a concurrent intake of
 * the same keyId or requestId on another partition) fails it with a unique violation, after
 * waiting for that intake to commit: the transaction rolls back and the caller records the batch
 * again, seeing the other row this time. No `ON CONFLICT` and no `RETURNING`: nothing waits for
 * this statement's answer before the COMMIT is sent behind it.
 */
export const insertRequests: SqlStatement = {
  name: 'intake.insert-requests',
  text: `INSERT INTO resend_request (id, request_id, key_id, task_name, correlation_id, status, payload, provider_body,
                                     body_fingerprint, provider_task_id, duplicate_of, error_code, error_message,
                                     error_category, next_attempt_at, finished_at, received_at, kafka_topic, kafka_partition, kafka_offset,
                                     kafka_record_fingerprint, trace_parent, trace_state)
         SELECT id, request_id, key_id, task_name, correlation_id, status, payload, provider_body,
                body_fingerprint, provider_task_id, duplicate_of, error_code, error_message,
                error_category, CASE WHEN status = 'pending' THEN now() END, CASE WHEN finished THEN now() END,
                -- The batch's rows in partition order (now() is the same for the whole transaction).
                clock_timestamp(),
                kafka_topic, kafka_partition, kafka_offset, decode(kafka_record_fingerprint, 'hex'), trace_parent, trace_state
           FROM jsonb_to_recordset($1::jsonb) AS r(
                id uuid, request_id text, key_id bigint, task_name text, correlation_id text, status text, payload jsonb,
                provider_body jsonb, body_fingerprint text, provider_task_id bigint, duplicate_of uuid, error_code text,
                error_message text, error_category text, finished boolean, kafka_topic text, kafka_partition integer,
                kafka_offset bigint, kafka_record_fingerprint text, trace_parent text, trace_state text)`,
};
export interface NewRequestRow {
  id: string;
  request_id: string;
  key_id: number | null;
  task_name: string | null;
  correlation_id: string | null;
  status: 'pending' | 'duplicate' | 'failed' | 'completed';
  payload: Record<string, unknown>;
  provider_body: object | null;
  body_fingerprint: string | null;
  provider_task_id: number | null;
  duplicate_of: string | null;
  error_code: string | null;
  error_message: string | null;
  error_category: string | null;
  finished: boolean;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  /** The record's fingerprint (recordFingerprint), hex: with the position, the record the row came from. */
  kafka_record_fingerprint: string;
  /** The W3C context of the span that recorded it; null when there is no trace. */
  trace_parent: string | null;
  trace_state: string | null;
}

/**
 * A dead letter; read again (a redelivery), it is not recorded twice: the same record ($10, its
 * fingerprint) at the same position is turned away by dead_letter_kafka_record_unique. A row
 * recorded before fingerprints were kept has none: at the same position, the same key and value
 * bytes make it the same record. A new record at a position used before (the topic was created
 * again) is recorded.
 */
export const insertDeadLetter: SqlStatement = {
  name: 'intake.insert-dead-letter',
  text: `INSERT INTO dead_letter (kafka_topic, kafka_partition, kafka_offset, kafka_record_fingerprint, message_key, message_value, headers,
                                  reason, error_message, received_at)
         SELECT $1::text, $2::integer, $3::bigint, decode($10::text, 'hex'), $4::bytea, $5::bytea, $6::jsonb, $7::text, $8::text, $9::timestamptz
          WHERE NOT EXISTS (
                SELECT 1 FROM dead_letter
                 WHERE kafka_topic = $1 AND kafka_partition = $2 AND kafka_offset = $3 AND kafka_record_fingerprint IS NULL
                   AND message_key IS NOT DISTINCT FROM $4::bytea AND message_value IS NOT DISTINCT FROM $5::bytea)
         ON CONFLICT DO NOTHING
         RETURNING id`,
};

/**
 * The batch's requests as new, pending rows — except those a unique index turns away: a request
 * recorded before (its requestId, or its record: position and fingerprint) or one whose keyId a
 * live request holds (resend_request_one_live_per_key_id). Those are the requests the full
 * decision would not record as new (decideIntake), when the batch's requestIds and keyIds are its
 * own (freshRequests) — and a request without requestId at a position another record's id names,
 * which the full decision records under a name of its own. A conflicting row another transaction
 * has not committed yet is waited for, as by the plain insert. Answers the ids inserted; the
 * others are left for the full decision.
 */
export const insertNewRequests: SqlStatement = {
  name: 'intake.insert-new-requests',
  text: `${insertRequests.text}
         ON CONFLICT DO NOTHING
         RETURNING id`,
};
