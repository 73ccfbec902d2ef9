import type { SqlStatement } from '#sql';

/**
 * The statements of the outbox, beside its table (schema/): what writers, relays and writers'
 * publications send. The names below are shared by the table's INSERT trigger and the code.
 */

/** The NOTIFY channel the INSERT trigger announces new rows on; relays LISTEN to it. */
export const OUTBOX_CHANNEL = 'outbox_event';
/** A transaction setting: `on` when its writer publishes its rows itself, so the trigger wakes no relay. */
export const WRITER_PUBLISHES_SETTING = 'outbox.writer_publishes';

/**
 * Outbox rows as one set: `outboxRows(n)` reads them from the 8 arrays of outboxRowValues
 * (outbox-message.ts), passed as parameters $n to $n+7.
 */
export const OUTBOX_ROW_COLUMNS = 'id, topic, message_key, message_value, headers, request_id, trace_parent, trace_state';
const OUTBOX_ROW_TYPES = ['uuid', 'text', 'bytea', 'bytea', 'jsonb', 'text', 'text', 'text'];

export function outboxRows(firstParameter: number): string {
  const arrays = OUTBOX_ROW_TYPES.map((type, index) => `$${firstParameter + index}::${type}[]`);
  return `unnest(${arrays.join(', ')}) AS outbox_row(${OUTBOX_ROW_COLUMNS})`;
}

/**
 * The INSERT of a statement that writes its events with the state change they report, in one
 * statement (a data-modifying WITH part): the rows whose id `idsFrom` (a subquery) returns, held for
 * their writer by the interval in the last parameter. Its parameters, from $`firstParameter` on,
 * are OutboxWriter.addInStatement's (OUTBOX_WRITE_PARAMETERS of them).
 */
export function insertOutboxRows(firstParameter: number, idsFrom: string): string {
  return `INSERT INTO outbox_event (${OUTBOX_ROW_COLUMNS}, held_until)
           SELECT outbox_row.*, now() + $${firstParameter + OUTBOX_ROW_TYPES.length}::interval
             FROM ${outboxRows(firstParameter)} WHERE outbox_row.id IN (${idsFrom})`;
}
/** How many parameters insertOutboxRows takes: the row arrays and the hold. */
export const OUTBOX_WRITE_PARAMETERS = OUTBOX_ROW_TYPES.length + 1;

export const insertOutboxEvents: SqlStatement = {
  name: 'outbox.insert-events',
  text: `INSERT INTO outbox_event (${OUTBOX_ROW_COLUMNS}) SELECT * FROM ${outboxRows(1)}`,
};

/** The rows of a writer that publishes them itself (publish-on-commit): held for it by the interval $9. */
export const insertHeldOutboxEvents: SqlStatement = {
  name: 'outbox.insert-held-events',
  text: `INSERT INTO outbox_event (${OUTBOX_ROW_COLUMNS}, held_until) SELECT outbox_row.*, now() + $9::interval FROM ${outboxRows(1)}`,
};

/** Read by the outbox_event INSERT trigger (notify_outbox_event): this transaction's rows wake no relay. */
export const setWriterPublishes: SqlStatement = {
  name: 'outbox.writer-publishes',
  text: `SELECT set_config('${WRITER_PUBLISHES_SETTING}', 'on', true)`,
};

/**
 * A batch of unpublished rows, oldest first, without those that must wait for an earlier row of
 * their key outside the batch (outbox-key-order.ts). Rows another relay holds are skipped, not
 * waited for. The batch comes from the partial index outbox_event_unpublished in `seq` order
 * without sorting the backlog (test/outbox/outbox-claim-plan.e2e-spec.ts); each row's earlier rows
 * of its key come from outbox_event_unpublished_per_key. A row skipped for a locked or held earlier
 * row stays locked by this transaction until it ends: other relays would skip it too.
 */
export const claimUnpublished: SqlStatement = {
  name: 'outbox.claim-unpublished',
  text: `WITH candidate AS MATERIALIZED (
           SELECT id, seq, topic, message_key, message_value, headers, request_id, trace_parent, trace_state
             FROM outbox_event
            WHERE published_at IS NULL AND refused_at IS NULL AND (held_until IS NULL OR held_until < now())
            ORDER BY seq
            LIMIT $1
              FOR UPDATE SKIP LOCKED
         )
         SELECT id, seq::text AS seq, topic, message_key, message_value, headers, request_id, trace_parent, trace_state
           FROM candidate c
          WHERE c.message_key IS NULL
             OR NOT EXISTS (SELECT 1 FROM outbox_event earlier
                             WHERE earlier.topic = c.topic AND earlier.message_key = c.message_key AND earlier.seq < c.seq
                               AND earlier.published_at IS NULL AND earlier.refused_at IS NULL
                               AND earlier.id NOT IN (SELECT id FROM candidate))`,
};

/**
 * Publish-on-commit, in the writer's transaction after its rows are written: releases to the
 * relays (held_until NULL) the rows ($1) that an earlier row of their key, not the writer's own,
 * still has to precede. A statement of its own, so that it sees what was committed while the
 * writer's statement waited for a row lock (the rows its snapshot missed were written earlier).
 */
export const releaseHeldBehindEarlier: SqlStatement = {
  name: 'outbox.release-held-behind-earlier',
  text: `UPDATE outbox_event mine SET held_until = NULL
          WHERE mine.id = ANY($1::uuid[]) AND mine.message_key IS NOT NULL
            AND EXISTS (SELECT 1 FROM outbox_event earlier
                         WHERE earlier.topic = mine.topic AND earlier.message_key = mine.message_key AND earlier.seq < mine.seq
                           AND earlier.published_at IS NULL AND earlier.refused_at IS NULL
                           AND earlier.id <> ALL($1::uuid[]))
         RETURNING mine.id::text AS id`,
};

export const markPublished: SqlStatement = {
  name: 'outbox.mark-published',
  text: `UPDATE outbox_event SET published_at = now() WHERE id = ANY($1::uuid[])`,
};

export const markRefused: SqlStatement = {
  name: 'outbox.mark-refused',
  text: `UPDATE outbox_event SET refused_at = now(), publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = $1`,
};

/**
 * A publication failed: the error noted on its rows, which are the relays' from now on (a writer's
 * held rows are released; for rows a relay claimed, held_until is past or NULL already).
 */
export const notePublishFailure: SqlStatement = {
  name: 'outbox.note-publish-failure',
  text: `UPDATE outbox_event SET held_until = NULL, publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`,
};

/**
 * Published rows, and rows Kafka refused for good (up to 1 MiB each; the dead_letter row keeps the
 * message), once older than the retention. Rows still to publish are kept however old. Both sides
 * read the index on published_at (a refused row is among the few with published_at NULL).
 */
export const pruneOld: SqlStatement = {
  name: 'outbox.prune-old',
  text: `WITH pruned AS (
           DELETE FROM outbox_event
            WHERE published_at < now() - make_interval(days => $1)
               OR (published_at IS NULL AND refused_at < now() - make_interval(days => $1))
           RETURNING published_at IS NOT NULL AS published)
         SELECT count(*) FILTER (WHERE published)::integer AS published, count(*) FILTER (WHERE NOT published)::integer AS refused
           FROM pruned`,
};
