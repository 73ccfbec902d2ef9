import { Logger } from '@nestjs/common';
import { StageProgress, WakeSignal } from '#common';
import type { SqlDatabase } from '#sql';
import type pg from 'pg';
import { publishClaimed, PublishError } from './claimed-batch.js';
import { claimInKeyOrder } from './outbox-key-order.js';
import type { OutboxPublisher } from './outbox-publisher.js';
import { notePublishFailure, OUTBOX_CHANNEL, pruneOld } from './outbox.sql.js';
import { PgNotificationListener } from './pg-notification-listener.js';
import { PublishFailures } from './publish-failures.js';
import { WriterPublication } from './writer-publication.js';

export interface OutboxRelayOptions {
  databaseUrl: string;
  /** pg settings for the LISTEN connection when the URL alone is not enough (TLS options, separate password). */
  databaseConnection?: pg.ClientConfig;
  pollIntervalMs: number;
  batchSize: number;
  /** Published rows, and rows Kafka refused for good, older than this are deleted; 0 keeps them forever. */
  retentionDays: number;
}

/** What wakes the relay as soon as rows commit: LISTEN on OUTBOX_CHANNEL (PgNotificationListener). */
export interface OutboxNotifications {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Publishes unpublished outbox rows, then marks them published, at least once each: a loop that
 * claims a batch, publishes it (claimed-batch.ts), sleeps until woken or its next poll, backs off
 * while publishing fails, and prunes old rows now and then.
 *
 * Rows are claimed by state (`published_at IS NULL`) with FOR UPDATE SKIP LOCKED, never by
 * "id greater than the last one seen": transactions commit out of order, and a cursor would
 * skip a row that commits late. Several relays (one per instance) can run side by side; the
 * events of one key are published in the order they were written (outbox-key-order.ts).
 * A crash between publishing and marking republishes the row with the same id (ce_id).
 * A writer may publish the rows it commits itself (writerPublication), one hop sooner; the relay
 * publishes whatever it leaves.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly wakeSignal = new WakeSignal();
  private readonly failures = new PublishFailures();
  private readonly notifications: OutboxNotifications;
  private running = false;
  private loop: Promise<void> | null = null;
  private lastPruneAt = 0;
  /**
   * When the relay last got a batch through, and whether one waits (a batch hanging, or failing
   * with no success since): a relay whose database calls hang shows here, not in `failure`.
   */
  readonly progress = new StageProgress('outbox');
  /** Writers' own publications of the rows they commit (publish-on-commit), left to this relay when they fail. */
  readonly writerPublication: WriterPublication;

  constructor(
    private readonly database: SqlDatabase,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions,
    notificationsFor: (wake: () => void) => OutboxNotifications = (wake) =>
      new PgNotificationListener(options.databaseConnection ?? options.databaseUrl, OUTBOX_CHANNEL, wake),
  ) {
    this.notifications = notificationsFor(() => this.wake());
    this.writerPublication = new WriterPublication(database, publisher, this, this.failures);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Between batches: waiting for a wake-up or its next poll, it claims nothing until then. */
  get isSleeping(): boolean {
    return this.wakeSignal.sleeping;
  }

  /** The last publishing error, or null once a batch went through again. */
  get failure(): string | null {
    return this.failures.last;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.notifications.start();
    this.loop = this.run();
  }

  /** Stops after the batch in flight; with `flushWithinMs`, first keeps publishing until nothing is left or time is up. */
  async stop(flushWithinMs = 0): Promise<void> {
    if (!this.running) return;
    await this.writerPublication.settled();
    if (flushWithinMs > 0) await this.flush(flushWithinMs);
    this.running = false;
    this.wake();
    await this.loop;
    this.progress.gaveUp();
    await this.notifications.stop();
  }

  wake(): void {
    this.wakeSignal.wake();
  }

  async closePublisher(): Promise<void> {
    await this.publisher.close().catch(() => undefined);
  }

  /**
   * Publishes one batch; returns how many rows it settled (published, or refused by Kafka for
   * good). Exposed for tests and flushing.
   */
  async publishBatch(): Promise<number> {
    return this.database.transaction(async (transaction) =>
      publishClaimed(this.publisher, transaction, await claimInKeyOrder(transaction, this.options.batchSize)),
    );
  }

  private async run(): Promise<void> {
    while (this.running) {
      const published = await this.publishBatchSafely();
      await this.pruneIfDue();
      if (published < this.options.batchSize || this.failures.failing) {
        await this.wakeSignal.wait(this.failures.nextDelayMs(this.options.pollIntervalMs));
      }
    }
  }

  private async publishBatchSafely(): Promise<number> {
    try {
      const published = await this.progress.attempt(() => this.publishBatch());
      this.failures.batchSucceeded();
      return published;
    } catch (error) {
      await this.recordFailure(error);
      return 0;
    }
  }

  private async recordFailure(error: unknown): Promise<void> {
    const cause = error instanceof PublishError ? error.cause : error;
    const message = (cause as Error)?.message ?? String(cause);
    this.failures.batchFailed(message);
    if (error instanceof PublishError) {
      await this.database.query(notePublishFailure, [error.ids, message.slice(0, 1000)]).catch(() => undefined);
    }
  }

  private async flush(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      try {
        if ((await this.publishBatch()) === 0) return;
      } catch (error) {
        await this.recordFailure(error);
        return;
      }
    }
  }

  private async pruneIfDue(): Promise<void> {
    if (this.options.retentionDays === 0 || Date.now() - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = Date.now();
    try {
      const [pruned] = await this.database.query<{ published: number; refused: number }>(pruneOld, [this.options.retentionDays]);
      const { published, refused } = pruned!; // count(*) answers exactly one row
      const days = this.options.retentionDays;
      if (published > 0) this.logger.log(`pruned ${published} published outbox rows older than ${days} days`);
      if (refused > 0) this.logger.log(`pruned ${refused} outbox rows Kafka refused more than ${days} days ago`);
    } catch (error) {
      this.logger.warn(`outbox pruning failed: ${(error as Error).message}`);
    }
  }
}
