import { Logger } from '@nestjs/common';
import { failpoint } from '#common';
import type { AfterCommit, SqlExecutor, SqlTransaction } from '#sql';
import { releaseHeldOutOfOrder } from './outbox-key-order.js';
import type { OutboxPublisher, OutboxRecord } from './outbox-publisher.js';
import { markPublished, notePublishFailure, setWriterPublishes } from './outbox.sql.js';
import { PublishFailures } from './publish-failures.js';
import { endPublishSpans, failPublishSpans, startPublishSpans } from './publish-spans.js';

/**
 * How long relays leave a writer's rows to it (hold): far longer than a publication takes, short
 * enough that its rows are published soon after it crashed.
 */
const WRITER_HOLD = '10 seconds';
/**
 * Writers' publications at once. Results that finish one by one overlap a little (a request's
 * publication is often still waiting for Kafka when the next one's result commits; one at a time
 * would send about a quarter of paced requests the longer way, through NOTIFY and a relay's claim).
 * More than this means Kafka is slow: the relay's batches take over.
 */
const MAX_WRITER_PUBLICATIONS = 16;

/** The relay a writer's publication leaves its rows to. */
export interface FallbackRelay {
  readonly isRunning: boolean;
  wake(): void;
}

/**
 * Publish-on-commit: a writer about to commit outbox rows publishes them itself right after its
 * commit, instead of waking the relays (one hop, one claim and one transaction fewer before Kafka).
 * In its transaction, before its rows are written, `hold` makes their INSERT wake no relay and
 * gives the interval they are held for (`held_until`): relays leave them alone until then. After
 * its COMMIT, `publish` sends them from memory and marks them published — no claim, no transaction
 * of its own. Whatever it leaves — a crash, a publication slower than the hold, Kafka failing — the
 * relays publish after it, with the same ids. OutboxWriter drives it.
 */
export class WriterPublication {
  private readonly logger = new Logger('OutboxRelay');
  /** Publications in progress (each settles, never rejects); the relay's stop() waits for them. */
  private readonly inProgress = new Set<Promise<void>>();

  constructor(
    private readonly database: SqlExecutor,
    private readonly publisher: OutboxPublisher,
    private readonly relay: FallbackRelay,
    private readonly failures = new PublishFailures(),
  ) {}

  /**
   * Not while publishing fails, nor beyond a few publications at once (Kafka answering slowly), nor
   * while the relay is stopped: then the relay does it, with its back-off and its batches.
   */
  get mayPublish(): boolean {
    return this.relay.isRunning && this.inProgress.size < MAX_WRITER_PUBLICATIONS && !this.failures.failing;
  }

  /** In the writer's transaction, before its rows: they wake no relay, and must be held for the interval returned. */
  hold(transaction: SqlTransaction): string {
    transaction.send(setWriterPublishes);
    return WRITER_HOLD;
  }

  /**
   * In the writer's transaction, after its rows: releases to the relays those an earlier row of
   * their key must precede. Resolves, after the commit, with their ids: not to publish here.
   */
  releaseOutOfOrder(transaction: SqlTransaction, held: OutboxRecord[]): AfterCommit<Set<string>> {
    return releaseHeldOutOfOrder(transaction, held);
  }

  /** Rows released to the relays: their own relay looks at once instead of at its next poll. */
  wakeRelay(): void {
    this.relay.wake();
  }

  /**
   * After the writer's COMMIT: publishes the rows it held, then marks them published. Never rejects:
   * rows it could not publish are released to the relay at once, which is woken.
   */
  async publish(records: OutboxRecord[]): Promise<void> {
    const publishing = this.publishAndMark(records).catch((error: unknown) => {
      // Not expected (its failures are handled inside): the rows are the relays' once the hold ends.
      this.logger.warn(`publishing on commit failed unexpectedly: ${(error as Error)?.message ?? String(error)}`);
    });
    this.inProgress.add(publishing);
    try {
      await publishing;
    } finally {
      this.inProgress.delete(publishing);
    }
  }

  /** Resolves once the publications in progress now have ended. */
  async settled(): Promise<void> {
    await Promise.all(this.inProgress);
  }

  private async publishAndMark(records: OutboxRecord[]): Promise<void> {
    const ids = records.map((record) => record.id);
    await failpoint('before_publish');
    const spans = startPublishSpans(records);
    try {
      await this.publisher.publish(records);
    } catch (error) {
      failPublishSpans(spans, error);
      await this.leaveToRelay(ids, ((error as Error)?.message ?? String(error)).slice(0, 1000));
      return;
    }
    endPublishSpans(spans);
    await failpoint('after_publish');
    // Not marked (the database is failing): a relay publishes them again once the hold ends, same ids.
    await this.database.query(markPublished, [ids]).catch((error: unknown) => {
      this.logger.debug(`marking published on commit failed: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  /** Too large for Kafka, or an outage: the relay knows what to do with either. */
  private async leaveToRelay(ids: string[], reason: string): Promise<void> {
    this.logger.debug(`publishing on commit failed, left to the relay: ${reason}`);
    this.failures.writerFailed(reason);
    await this.database.query(notePublishFailure, [ids, reason]).catch(() => undefined);
    this.relay.wake();
  }
}
