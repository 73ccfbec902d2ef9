import type { AfterCommit, SqlStatement, SqlTransaction } from '#sql';
import type { OutboxRecord } from './outbox-publisher.js';

/**
 * The events of one topic and key are published in the order they were written (`seq`, taken when
 * the row is inserted): a row waits while an earlier row of its topic and key is unpublished —
 * claimed by another relay, held by its writer, or failing. Whoever publishes a row has seen the
 * earlier ones published first (Kafka acknowledged them before they were marked), so publications
 * of one key never overlap, whatever the number of relays and writers. Rows without a key have no
 * order (Kafka spreads them over partitions anyway).
 */

/**
 * A batch of unpublished rows, oldest first, without those that must wait for an earlier row of
 * their key outside the batch. Rows another relay holds are skipped, not waited for. The batch
 * comes from the partial index outbox_event_unpublished in `seq` order without sorting the backlog
 * (test/outbox/outbox-claim-plan.e2e-spec.ts); each row's earlier rows of its key come from
 * outbox_event_unpublished_per_key. A row skipped for a locked or held earlier row stays locked
 * by this transaction until it ends: other relays would skip it too.
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

interface ClaimedRow {
  id: string;
  seq: string;
  topic: string;
  message_key: Buffer | null;
  message_value: Buffer;
  headers: Record<string, string>;
  request_id: string | null;
  trace_parent: string | null;
  trace_state: string | null;
}

/** Claims a batch (claimUnpublished) in the relay's transaction: the records in the order they must be published. */
export async function claimInKeyOrder(transaction: SqlTransaction, batchSize: number): Promise<OutboxRecord[]> {
  const rows = await transaction.query<ClaimedRow>(claimUnpublished, [batchSize]);
  return inWriteOrder(rows).map((row) => ({
    id: row.id,
    topic: row.topic,
    messageKey: row.message_key,
    messageValue: row.message_value,
    headers: row.headers,
    requestId: row.request_id,
    traceParent: row.trace_parent,
    traceState: row.trace_state,
  }));
}

/** By `seq`, explicitly: the statement's outer query has no ORDER BY (it would sort the batch it already has in order). */
export function inWriteOrder<Row extends { seq: string }>(rows: Row[]): Row[] {
  return rows
    .map((row) => ({ row, seq: BigInt(row.seq) }))
    .sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))
    .map(({ row }) => row);
}

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

/**
 * Sends releaseHeldBehindEarlier for the records a writer holds (call it after the statement that
 * writes them). Resolves, after the commit, with the ids released: the writer must not publish those.
 */
export function releaseHeldOutOfOrder(transaction: SqlTransaction, held: OutboxRecord[]): AfterCommit<Set<string>> {
  return transaction
    .sendForRows<{ id: string }>(releaseHeldBehindEarlier, [held.map((record) => record.id)])
    .map((rows) => new Set(rows.map((row) => row.id)));
}
