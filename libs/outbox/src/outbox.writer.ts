import type { AfterCommit, SqlTransaction } from '#sql';
import { outboxRowValues, toOutboxRecord, withIds, type OutboxMessage } from './outbox-message.js';
import type { OutboxRecord } from './outbox-publisher.js';
import { insertHeldOutboxEvents, insertOutboxEvents } from './outbox.sql.js';
import type { WriterPublication } from './writer-publication.js';

export interface OutboxWriteOptions {
  /**
   * Publish-on-commit: the writer publishes its rows itself right after its COMMIT, a hop sooner
   * than a relay woken by the INSERT, when the relay lets it (WriterPublication.mayPublish). Meant
   * for a few rows: the relay's batches publish a backlog with less work per row.
   */
  publishOnCommit?: boolean;
}

/** What a write leaves to do once its transaction has committed. */
export interface OutboxWritten {
  /** The messages' ids. */
  readonly ids: string[];
  /**
   * Call after the COMMIT, once it succeeded. With publish-on-commit, hands the rows to their
   * publication — `written`: the ids of those the statement wrote, when it may write fewer than it
   * was given (all when omitted) — and wakes the relay for those it had to release; otherwise there
   * is nothing to do (their INSERT woke the relays). Resolves once the rows are handed over;
   * `published` settles when their publication has ended (it never rejects).
   */
  afterCommit(written?: readonly string[]): Promise<{ published: Promise<void> }>;
}

/** What publish-on-commit needs of the relay's side. */
export type PublishOnCommit = Pick<WriterPublication, 'mayPublish' | 'hold' | 'releaseOutOfOrder' | 'publish' | 'wakeRelay'>;

/**
 * Adds messages to the outbox inside the caller's transaction, so that they exist if and only if
 * the caller's state change commits. Any number of messages is one statement, sent without
 * waiting for its answer: the transaction's COMMIT goes out right behind it. Without a
 * publication (a writer made on its own), publish-on-commit is never used.
 */
export class OutboxWriter {
  constructor(private readonly publication?: PublishOnCommit) {}

  add(transaction: SqlTransaction, messages: OutboxMessage[], options: OutboxWriteOptions = {}): OutboxWritten {
    if (messages.length === 0) return leftToRelays([]);
    const records = withIds(messages).map(toOutboxRecord);
    const hold = this.holdIfPublishing(transaction, records, options);
    if (hold === null) {
      transaction.send(insertOutboxEvents, outboxRowValues(records));
      return leftToRelays(records);
    }
    transaction.send(insertHeldOutboxEvents, [...outboxRowValues(records), hold]);
    return this.publishedAfterCommit(transaction, records);
  }

  /**
   * For a statement of the caller's that writes the messages with the state change they report, in
   * one statement: its INSERT part is insertOutboxRows (outbox.sql.ts), whose parameters `send`
   * gets (OUTBOX_WRITE_PARAMETERS of them) to send the statement with. Returns what `send` returned
   * and the write's after-commit handle.
   */
  addInStatement<Sent>(
    transaction: SqlTransaction,
    messages: OutboxMessage[],
    options: OutboxWriteOptions,
    send: (outboxParameters: unknown[]) => Sent,
  ): { sent: Sent; written: OutboxWritten } {
    const records = withIds(messages).map(toOutboxRecord);
    const hold = this.holdIfPublishing(transaction, records, options);
    const sent = send([...outboxRowValues(records), hold]);
    return { sent, written: hold === null ? leftToRelays(records) : this.publishedAfterCommit(transaction, records) };
  }

  /** Publish-on-commit, when asked and allowed: sent before the rows; the interval they are held for. */
  private holdIfPublishing(transaction: SqlTransaction, records: OutboxRecord[], options: OutboxWriteOptions): string | null {
    if (!options.publishOnCommit || records.length === 0 || !this.publication?.mayPublish) return null;
    return this.publication.hold(transaction);
  }

  /** Sent after the rows: the key-order check, whose answer comes with the COMMIT. */
  private publishedAfterCommit(transaction: SqlTransaction, records: OutboxRecord[]): OutboxWritten {
    const publication = this.publication!;
    const released: AfterCommit<Set<string>> = publication.releaseOutOfOrder(transaction, records);
    return {
      ids: records.map((record) => record.id),
      afterCommit: async (written) => {
        const releasedIds = await released.read();
        const held = records.filter((record) => !releasedIds.has(record.id) && (written === undefined || written.includes(record.id)));
        const published = held.length > 0 ? publication.publish(held) : NOTHING_TO_PUBLISH;
        if (releasedIds.size > 0) publication.wakeRelay();
        return { published };
      },
    };
  }
}

const NOTHING_TO_PUBLISH = Promise.resolve();

/** Rows the relays publish: their INSERT woke them. */
function leftToRelays(records: OutboxRecord[]): OutboxWritten {
  return { ids: records.map((record) => record.id), afterCommit: async () => ({ published: NOTHING_TO_PUBLISH }) };
}
