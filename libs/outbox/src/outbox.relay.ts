import { Logger } from '@nestjs/common';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { backoffDelayMs, contextFromTraceParent, endSpanWithError, failpoint, MESSAGING_ATTRIBUTES, RESEND_ATTRIBUTES, serviceTracer, StageProgress, WakeSignal } from '#common';
import type { SqlDatabase, SqlStatement, SqlTransaction } from '#sql';
import type pg from 'pg';
import { claimInKeyOrder } from './outbox-key-order.js';
import type { OutboxPublisher, OutboxRecord } from './outbox-publisher.js';
import { PgNotificationListener } from './pg-notification-listener.js';

export interface OutboxRelayOptions {
  databaseUrl: string;
  /** pg settings for the LISTEN connection when the URL alone is not enough (TLS options, separate password). */
  databaseConnection?: pg.ClientConfig;
  pollIntervalMs: number;
  batchSize: number;
  /** Published rows, and rows Kafka refused for good, older than this are deleted; 0 keeps them forever. */
  retentionDays: number;
}

export const OUTBOX_CHANNEL = 'outbox_event';
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Publishes unpublished outbox rows, then marks them published, at least once each.
 *
 * Rows are claimed by state (`published_at IS NULL`) with FOR UPDATE SKIP LOCKED, never by
 * "id greater than the last one seen": transactions commit out of order, and a cursor would
 * skip a row that commits late. Several relays (one per instance) can run side by side; the
 * events of one key are published in the order they were written (outbox-key-order.ts).
 * A crash between publishing and marking republishes the row with the same id (ce_id).
 * A writer may publish the rows it commits itself (holdForWriter, publishHeld), one hop sooner;
 * the relay publishes whatever it leaves.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly wakeSignal = new WakeSignal();
  private readonly listener: PgNotificationListener;
  private running = false;
  private loop: Promise<void> | null = null;
  private consecutiveFailures = 0;
  /**
   * When the relay last got a batch through, and whether one waits (a batch hanging, or failing
   * with no success since): a relay whose database calls hang shows here, not in `failure`.
   */
  readonly progress = new StageProgress('outbox');
  private lastPruneAt = 0;
  private lastError: string | null = null;
  /** Writers' publishHeld in progress (each settles, never rejects); stop() waits for them. */
  private readonly writerPublications = new Set<Promise<void>>();

  constructor(
    private readonly database: SqlDatabase,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.listener = new PgNotificationListener(options.databaseConnection ?? options.databaseUrl, OUTBOX_CHANNEL, () => this.wake());
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
    return this.lastError;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listener.start();
    this.loop = this.run();
  }

  /** Stops after the batch in flight; with `flushWithinMs`, first keeps publishing until nothing is left or time is up. */
  async stop(flushWithinMs = 0): Promise<void> {
    if (!this.running) return;
    await Promise.all(this.writerPublications);
    if (flushWithinMs > 0) await this.flush(flushWithinMs);
    this.running = false;
    this.wake();
    await this.loop;
    this.progress.gaveUp();
    await this.listener.stop();
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
      this.publishClaimed(transaction, await claimInKeyOrder(transaction, this.options.batchSize)),
    );
  }

  /**
   * Publish-on-commit: a writer that is about to commit outbox rows may publish them itself, right
   * after its commit, instead of waking the relays (one hop, one claim and one transaction fewer
   * before Kafka). Not while publishing fails, nor beyond a few publications at once (Kafka
   * answering slowly): then the relay does it, with its back-off and its batches.
   */
  get mayPublishWritten(): boolean {
    return this.running && this.writerPublications.size < MAX_WRITER_PUBLICATIONS && this.consecutiveFailures === 0;
  }

  /**
   * Publish-on-commit, in the writer's transaction, before its rows are written: their INSERT wakes
   * no relay, and they must be written with `held_until = now() + ` the interval this returns.
   * Relays leave them alone until then (claimUnpublished); the writer publishes them after its
   * COMMIT (publishHeld), except those an earlier row of their key must precede: it releases them in
   * the same transaction (releaseHeldOutOfOrder). Whatever it leaves — those, a crash, a publication
   * slower than the hold — the relays publish after it, with the same ids.
   */
  holdForWriter(transaction: SqlTransaction): string {
    transaction.send(setWriterPublishes);
    return WRITER_HOLD;
  }

  /**
   * Publish-on-commit, after the writer's COMMIT: publishes the rows it held (holdForWriter) from
   * memory, then marks them published — no claim, no transaction of its own. Never rejects: rows it
   * could not publish are released to the relay at once, which is woken.
   */
  async publishHeld(records: OutboxRecord[]): Promise<void> {
    const publishing = this.publishAndMarkHeld(records).catch((error: unknown) => {
      // Not expected (its failures are handled inside): the rows are the relays' once the hold ends.
      this.logger.warn(`publishing on commit failed unexpectedly: ${(error as Error)?.message ?? String(error)}`);
    });
    this.writerPublications.add(publishing);
    try {
      await publishing;
    } finally {
      this.writerPublications.delete(publishing);
    }
  }

  private async publishAndMarkHeld(records: OutboxRecord[]): Promise<void> {
    const ids = records.map((record) => record.id);
    await failpoint('before_publish');
    const spans = startPublishSpans(records);
    try {
      await this.publisher.publish(records);
    } catch (error) {
      spans.forEach((span) => endSpanWithError(span, error));
      const reason = ((error as Error)?.message ?? String(error)).slice(0, 1000);
      this.logger.debug(`publishing on commit failed, left to the relay: ${reason}`);
      this.noteWriterFailure(reason);
      // Too large for Kafka, or an outage: the relay knows what to do with either.
      await this.database.query(notePublishFailure, [ids, reason]).catch(() => undefined);
      this.wake();
      return;
    }
    endPublishSpans(spans, new Map());
    await failpoint('after_publish');
    // Not marked (the database is failing): a relay publishes them again once the hold ends, same ids.
    await this.database.query(markPublished, [ids]).catch((error: unknown) => {
      this.logger.debug(`marking published on commit failed: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  /** Publishes claimed rows, marks them (the mark goes out with the transaction's COMMIT); returns how many it settled. */
  private async publishClaimed(transaction: SqlTransaction, records: OutboxRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    await failpoint('before_publish');
    let refused = new Map<string, string>();
    const spans = startPublishSpans(records);
    try {
      await this.publisher.publish(records);
    } catch (error) {
      // Rolled back: the rows stay unpublished and unlocked for the next try (here or elsewhere).
      if (!isTooLargeForKafka(error)) {
        spans.forEach((span) => endSpanWithError(span, error));
        throw new PublishError(
          records.map((record) => record.id),
          error,
        );
      }
      // A message the broker will never accept must not hold back every row behind it.
      try {
        refused = await this.publishOneByOne(records);
      } catch (failure) {
        spans.forEach((span) => endSpanWithError(span, (failure as PublishError).cause ?? failure));
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
  private async publishOneByOne(records: OutboxRecord[]): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const record of records) {
      try {
        await this.publisher.publish([record]);
      } catch (error) {
        // Any other error: all rolled back; the ones already sent are sent again later (same ce_id).
        if (!isTooLargeForKafka(error))
          throw new PublishError(
            records.map((item) => item.id),
            error,
          );
        const reason = `refused by Kafka, not published: ${(error as Error).message}`.slice(0, 1000);
        this.logger.error(`outbox row ${record.id} (${record.topic}, ${record.messageValue.length} bytes): ${reason}`);
        refused.set(record.id, reason);
      }
    }
    return refused;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const published = await this.publishBatchSafely();
      await this.pruneIfDue();
      if (published < this.options.batchSize || this.consecutiveFailures > 0) {
        await this.wakeSignal.wait(this.nextDelayMs());
      }
    }
  }

  private async publishBatchSafely(): Promise<number> {
    try {
      const published = await this.progress.attempt(() => this.publishBatch());
      if (this.consecutiveFailures > 0) this.logger.log('publishing to Kafka again');
      this.consecutiveFailures = 0;
      this.lastError = null;
      return published;
    } catch (error) {
      await this.recordFailure(error);
      return 0;
    }
  }

  private async recordFailure(error: unknown): Promise<void> {
    this.consecutiveFailures += 1;
    const cause = error instanceof PublishError ? error.cause : error;
    this.lastError = (cause as Error)?.message ?? String(cause);
    // One line per failure while the delay grows: bounded noise during an outage.
    this.logger.warn(`outbox publish failed (${this.consecutiveFailures} in a row): ${this.lastError}`);
    if (error instanceof PublishError) {
      await this.database.query(notePublishFailure, [error.ids, this.lastError.slice(0, 1000)]).catch(() => undefined);
    }
  }

  /**
   * A writer's publication failed: the relay's state says so before the rows do (/health, and no
   * more publish-on-commit until a batch goes through), as if the relay had failed once itself.
   * Not counted again while failing: writers failing side by side must not lengthen the relay's
   * back-off, which its own tries set.
   */
  private noteWriterFailure(reason: string): void {
    if (this.consecutiveFailures > 0) return;
    this.consecutiveFailures = 1;
    this.lastError = reason;
    this.logger.warn(`outbox publish failed (on commit): ${reason}`);
  }

  private nextDelayMs(): number {
    if (this.consecutiveFailures === 0) return this.options.pollIntervalMs;
    return backoffDelayMs(this.consecutiveFailures, { baseMs: 500, maxMs: 30_000 });
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

/** The claim's statement lives with the rule it enforces (the events of a key in order). */
export { claimUnpublished } from './outbox-key-order.js';
/**
 * How long relays leave a writer's rows to it (holdForWriter): far longer than a publication takes,
 * short enough that its rows are published soon after it crashed.
 */
const WRITER_HOLD = '10 seconds';
/**
 * Writers' publications at once (publishHeld). Results that finish one by one overlap a little (a
 * request's publication is often still waiting for Kafka when the next one's result commits; with
 * one at a time, a quarter of the paced requests went the longer way through NOTIFY and a relay's
 * claim). More than this means Kafka is slow: the relay's batches take over.
 */
const MAX_WRITER_PUBLICATIONS = 16;
/** Read by the outbox_event INSERT trigger (notify_outbox_event): this transaction's rows wake no relay. */
const setWriterPublishes: SqlStatement = {
  name: 'outbox.writer-publishes',
  text: `SELECT set_config('outbox.writer_publishes', 'on', true)`,
};
const markPublished: SqlStatement = {
  name: 'outbox.mark-published',
  text: `UPDATE outbox_event SET published_at = now() WHERE id = ANY($1::uuid[])`,
};
const markRefused: SqlStatement = {
  name: 'outbox.mark-refused',
  text: `UPDATE outbox_event SET refused_at = now(), publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = $1`,
};
/**
 * A publication failed: the error noted on its rows, which are the relays' from now on (a writer's
 * held rows are released; for rows a relay claimed, held_until is past or NULL already).
 */
const notePublishFailure: SqlStatement = {
  name: 'outbox.note-publish-failure',
  text: `UPDATE outbox_event SET held_until = NULL, publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`,
};
/**
 * Published rows, and rows Kafka refused for good (up to 1 MiB each; the dead_letter row keeps the
 * message), once older than the retention. Rows still to publish are kept however old. Both sides
 * read the index on published_at (a refused row is among the few with published_at NULL).
 */
const pruneOld: SqlStatement = {
  name: 'outbox.prune-old',
  text: `WITH pruned AS (
           DELETE FROM outbox_event
            WHERE published_at < now() - make_interval(days => $1)
               OR (published_at IS NULL AND refused_at < now() - make_interval(days => $1))
           RETURNING published_at IS NOT NULL AS published)
         SELECT count(*) FILTER (WHERE published)::integer AS published, count(*) FILTER (WHERE NOT published)::integer AS refused
           FROM pruned`,
};

/**
 * One `send <topic>` span (PRODUCER) per traced record, child of the context stored with the row
 * (the span that decided the outcome): the publication shows in the request's own trace. They
 * start when the batch is handed to Kafka and end when Kafka acknowledged it (or refused it).
 * Records stored without a trace context (replays, rows from before tracing) get none. While
 * tracing is off these are the API's no-op spans.
 */
function startPublishSpans(records: OutboxRecord[]): Map<string, Span> {
  const spans = new Map<string, Span>();
  const tracer = serviceTracer();
  for (const record of records) {
    if (!record.traceParent) continue;
    const parent = contextFromTraceParent(record.traceParent, record.traceState);
    const span = tracer.startSpan(`send ${record.topic}`, { kind: SpanKind.PRODUCER }, parent);
    if (span.isRecording()) {
      span.setAttributes({
        [MESSAGING_ATTRIBUTES.system]: 'kafka',
        [MESSAGING_ATTRIBUTES.operationType]: 'send',
        [MESSAGING_ATTRIBUTES.operationName]: 'send',
        [MESSAGING_ATTRIBUTES.destinationName]: record.topic,
        [MESSAGING_ATTRIBUTES.messageId]: record.id,
        [MESSAGING_ATTRIBUTES.batchMessageCount]: records.length,
        // Outcome events only: their key is the keyId. A dead-letter copy's key is whatever the producer sent.
        ...(record.requestId ? { [RESEND_ATTRIBUTES.requestId]: record.requestId } : {}),
        ...(record.requestId && record.messageKey ? { [MESSAGING_ATTRIBUTES.kafkaMessageKey]: record.messageKey.toString('utf8') } : {}),
      });
    }
    spans.set(record.id, span);
  }
  return spans;
}

function endPublishSpans(spans: Map<string, Span>, refused: Map<string, string>): void {
  for (const [id, span] of spans) {
    const reason = refused.get(id);
    if (reason !== undefined && span.isRecording()) span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    span.end();
  }
}

/** Kafka's answer to a message (or batch) over its size limit: sending it again cannot help. */
function isTooLargeForKafka(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && typeof cause === 'object' && depth < 5; depth += 1) {
    const type = (cause as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    cause = (cause as { cause?: unknown; originalError?: unknown }).cause ?? (cause as { originalError?: unknown }).originalError;
  }
  return false;
}

class PublishError extends Error {
  constructor(
    readonly ids: string[],
    override readonly cause: unknown,
  ) {
    super('publish failed');
  }
}
