import { Logger } from '@nestjs/common';
import { failpoint } from '#common';
import type { SqlTransaction } from '#sql';
import type { OutboxPublisher, OutboxRecord } from './outbox-publisher.js';
import { markPublished, markRefused } from './outbox.sql.js';
import { endPublishSpans, failPublishSpans, startPublishSpans } from './publish-spans.js';

const logger = new Logger('OutboxRelay');

/** A batch that could not be published: its rows (rolled back, unpublished) and Kafka's answer. */
export class PublishError extends Error {
  constructor(
    readonly ids: string[],
    override readonly cause: unknown,
  ) {
    super('publish failed');
  }
}

/**
 * Publishes the rows a relay claimed, then marks them in its transaction (the mark goes out with
 * the COMMIT); returns how many it settled: published, or refused by Kafka for good. Throws a
 * PublishError otherwise: the transaction rolls back and the rows stay for the next try.
 */
export async function publishClaimed(publisher: OutboxPublisher, transaction: SqlTransaction, records: OutboxRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  await failpoint('before_publish');
  let refused = new Map<string, string>();
  const spans = startPublishSpans(records);
  try {
    await publisher.publish(records);
  } catch (error) {
    if (!isTooLargeForKafka(error)) {
      failPublishSpans(spans, error);
      throw new PublishError(idsOf(records), error);
    }
    // A message the broker will never accept must not hold back every row behind it.
    try {
      refused = await publishOneByOne(publisher, records);
    } catch (failure) {
      failPublishSpans(spans, (failure as PublishError).cause ?? failure);
      throw failure;
    }
  }
  endPublishSpans(spans, refused);
  await failpoint('after_publish');
  for (const [id, reason] of refused) await transaction.query(markRefused, [id, reason]);
  // Sent without waiting: the COMMIT goes with it.
  transaction.send(markPublished, [records.filter((record) => !refused.has(record.id)).map((record) => record.id)]);
  return records.length;
}

/** After a "too large" answer: each record on its own; returns those Kafka refuses (id → why). */
async function publishOneByOne(publisher: OutboxPublisher, records: OutboxRecord[]): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  for (const record of records) {
    try {
      await publisher.publish([record]);
    } catch (error) {
      // Any other error: all rolled back; the ones already sent are sent again later (same ce_id).
      if (!isTooLargeForKafka(error)) throw new PublishError(idsOf(records), error);
      const reason = `refused by Kafka, not published: ${(error as Error).message}`.slice(0, 1000);
      logger.error(`outbox row ${record.id} (${record.topic}, ${record.messageValue.length} bytes): ${reason}`);
      refused.set(record.id, reason);
    }
  }
  return refused;
}

/** Kafka's answer to a message (or batch) over its size limit: sending it again cannot help. */
export function isTooLargeForKafka(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && typeof cause === 'object' && depth < 5; depth += 1) {
    const type = (cause as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    cause = (cause as { cause?: unknown; originalError?: unknown }).cause ?? (cause as { originalError?: unknown }).originalError;
  }
  return false;
}

function idsOf(records: OutboxRecord[]): string[] {
  return records.map((record) => record.id);
}
