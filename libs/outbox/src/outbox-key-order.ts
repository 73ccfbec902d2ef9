import type { AfterCommit, SqlTransaction } from '#sql';
import type { OutboxRecord } from './outbox-publisher.js';
import { claimUnpublished, releaseHeldBehindEarlier } from './outbox.sql.js';

/**
 * The events of one topic and key are published in the order they were written (`seq`, taken when
 * the row is inserted): a row waits while an earlier row of its topic and key is unpublished —
 * claimed by another relay, held by its writer, or failing. Whoever publishes a row has seen the
 * earlier ones published first (Kafka acknowledged them before they were marked), so publications
 * of one key never overlap, whatever the number of relays and writers. Rows without a key have no
 * order (Kafka spreads them over partitions anyway). The statements that keep the rule are in
 * outbox.sql.ts (claimUnpublished, releaseHeldBehindEarlier).
 */

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
 * Sends releaseHeldBehindEarlier for the records a writer holds (call it after the statement that
 * writes them). Resolves, after the commit, with the ids released: the writer must not publish those.
 */
export function releaseHeldOutOfOrder(transaction: SqlTransaction, held: OutboxRecord[]): AfterCommit<Set<string>> {
  return transaction
    .sendForRows<{ id: string }>(releaseHeldBehindEarlier, [held.map((record) => record.id)])
    .map((rows) => new Set(rows.map((row) => row.id)));
}
