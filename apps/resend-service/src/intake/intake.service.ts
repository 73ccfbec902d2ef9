import { Injectable } from '@nestjs/common';
import { backoffDelayMs, failpoint } from '#common';
import { blamesTheMessage, classifyDatabaseError, type DatabaseErrorKind } from '../database/database-errors.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { FlowProgress } from '../requests/flow-progress.js';
import { PendingWorkSignal } from '../requests/pending-work-signal.js';
import type { ConsumedMessage } from './consumed-message.js';
import type { DeadLetterEntry } from './dead-letters.js';
import { freshRequests, recordingResultOf } from './intake-decision.js';
import { IntakeLog } from './intake-log.js';
import { IntakeTransactions, type RecordedBatch } from './intake-transactions.js';
import { readMessage, type ReceivedMessage } from './received-message.js';
import { RecordSpans } from './record-spans.js';

/**
 * Races between concurrent intakes resolve on the next try; a few tries are plenty. More in a row
 * are waited out like an outage (with a growing delay), never blamed on the messages.
 */
const MAX_CONFLICT_RETRIES = 5;

/** Thrown by `stop()`'s effect: the batch was not recorded, and its offsets must not be committed. */
export class IntakeStoppedError extends Error {
  constructor() {
    super('shutting down before the messages were recorded; they will be redelivered');
  }
}

/**
 * Records consumed messages before their offsets may be committed, a batch of one partition at a
 * time: new valid requests in one transaction of one round trip; whatever the unique indexes turn
 * away there (a redelivery, a repeated keyId), or a batch that is not only new valid requests, in
 * one transaction that reads first and decides (requests, their early outcomes, dead letters):
 * IntakeTransactions. A database that cannot record the batch now — an outage, a read-only
 * server, a missing privilege, a schema the code does not match yet, conflicts past a few in a
 * row — is waited out here with heartbeats (a log line, a metric, readiness red once it lasts:
 * FlowProgress), instead of being thrown to the consumer. Only data the database refuses as such
 * (database-errors.ts: blamesTheMessage) is narrowed down to the message that carries it, which is
 * dead-lettered, so that no such message can stall its partition or poison its batch.
 */
@Injectable()
export class IntakeService {
  private stopping = false;

  constructor(
    private readonly transactions: IntakeTransactions,
    private readonly spans: RecordSpans,
    private readonly log: IntakeLog,
    private readonly metrics: FlowMetrics,
    private readonly progress: FlowProgress,
    private readonly pendingWork: PendingWorkSignal,
  ) {}

  /** Resolves once every message is recorded; throws IntakeStoppedError if asked to stop first. */
  async receiveBatch(messages: readonly ConsumedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    if (messages.length === 0) return;
    const batch = messages.map(readMessage);
    batch.forEach((received) => this.spans.start(received));
    try {
      await this.recordPatiently(batch, heartbeat);
    } catch (error) {
      // Given up (shutdown): nothing waits for intake any more; the batch is redelivered.
      if (error instanceof IntakeStoppedError) this.progress.intake.gaveUp();
      batch.forEach((received) => this.spans.endWithError(received, error));
      throw error;
    }
    batch.forEach((received) => this.spans.end(received));
    await failpoint('after_request_recorded');
  }

  /**
   * Called first on shutdown (FlowLifecycle), before the consumer is closed: a batch still
   * waiting for the database is given up (not committed, so it is redelivered) instead of
   * holding the consumer, and the shutdown, until the database is back.
   */
  stop(): void {
    this.stopping = true;
  }

  private async recordPatiently(batch: ReceivedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    const undecided = await this.recordNewPatiently(batch, heartbeat);
    if (undecided.length > 0) await this.recordDecidingPatiently(undecided, heartbeat);
  }

  /**
   * A batch of new valid requests (freshRequests) in one round trip, waiting out an outage. Returns
   * the messages it did not record — all of them when the batch does not qualify or the insert
   * failed other than by an outage — for the full decision.
   */
  private async recordNewPatiently(batch: ReceivedMessage[], heartbeat: () => Promise<void>): Promise<ReceivedMessage[]> {
    const requests = freshRequests(batch);
    if (!requests) return batch;
    for (let outages = 0; ; outages += 1) {
      this.throwIfStopping();
      try {
        const recorded = await this.progress.intake.attempt(() => this.transactions.recordNew(requests));
        this.committed(recorded);
        const inserted = new Set<ReceivedMessage>(recorded.messages);
        return batch.filter((received) => !inserted.has(received));
      } catch (error) {
        this.throwIfStopping();
        // Rolled back as a whole: the full decision finds out what the problem is, and waits it out or narrows it down.
        const kind = classifyDatabaseError(error);
        if (kind !== 'outage') return batch;
        this.metrics.databaseFailed('intake', kind);
        await this.waitOut(batch, error, kind, outages, heartbeat);
      }
    }
  }

  /** Decides every message and records the decisions, until they are recorded or the data is found to blame. */
  private async recordDecidingPatiently(batch: ReceivedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    let failures = 0;
    let conflicts = 0;
    for (;;) {
      this.throwIfStopping();
      try {
        // After the commit: a batch rolled back by a race is decided again, and logged once, as recorded.
        this.committed(await this.progress.intake.attempt(() => this.transactions.recordDeciding(batch)));
        return;
      } catch (error) {
        this.throwIfStopping();
        const kind = classifyDatabaseError(error);
        this.metrics.databaseFailed('intake', kind);
        if (kind === 'conflict' && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
        if (!blamesTheMessage(kind)) {
          // Not the messages' fault: waited out, however long it takes, and no message is lost.
          await this.waitOut(batch, error, kind, failures, heartbeat);
          failures += 1;
          continue;
        }
        // The data, and retrying does not help: find the message(s) it comes from.
        if (batch.length > 1) {
          for (const single of batch) await this.recordDecidingPatiently([single], heartbeat);
          return;
        }
        await this.recordUnrecordable(batch[0]!, error, heartbeat);
        return;
      }
    }
  }

  /** The message cannot be stored (e.g. a NUL character jsonb refuses): keep it as a dead letter instead. */
  private async recordUnrecordable(received: ReceivedMessage, cause: unknown, heartbeat: () => Promise<void>): Promise<void> {
    const entry: DeadLetterEntry = {
      message: received.message,
      reason: 'unrecordable',
      error: `the database refused the message: ${(cause as Error)?.message ?? String(cause)}`,
      trace: received.trace,
    };
    this.spans.decided(received, 'unrecordable');
    for (let failures = 0; ; failures += 1) {
      this.throwIfStopping();
      try {
        const deadLettered = await this.progress.intake.attempt(() => this.transactions.deadLetter(entry));
        this.metrics.messageRecorded('dead_lettered');
        this.metrics.deadLettered(deadLettered);
        return;
      } catch (error) {
        const kind = classifyDatabaseError(error);
        this.metrics.databaseFailed('intake', kind);
        await this.waitOut([received], error, kind, failures, heartbeat);
      }
    }
  }

  /** After the commit: each message's decision on its span and in the log, the metrics, and the worker woken for what it must claim. */
  private committed(recorded: RecordedBatch): void {
    recorded.messages.forEach((received, index) => {
      const decision = recorded.decisions[index]!;
      this.spans.decided(received, received.kind === 'request' ? decision.kind : 'dead_letter');
      if (received.kind === 'request') this.spans.runInSpan(received, () => this.log.decision(received, decision));
    });
    for (const decision of recorded.decisions) this.metrics.messageRecorded(recordingResultOf(decision));
    this.metrics.outcomesWritten(recorded.events);
    this.metrics.deadLettered(recorded.deadLettered);
    if (recorded.unclaimed > 0) this.pendingWork.wake();
  }

  /**
   * After the `failures`-th failure in a row (from 0): logs it now and then, and waits a delay that
   * grows with them, with heartbeats so that the consumer keeps its partitions. Cut short by stop().
   */
  private async waitOut(
    batch: ReceivedMessage[],
    error: unknown,
    kind: DatabaseErrorKind,
    failures: number,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    this.log.waiting(batch, error, kind, failures);
    const deadline = Date.now() + backoffDelayMs(failures + 1, { baseMs: 200, maxMs: 10_000 });
    while (Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deadline - Date.now())));
      await heartbeat().catch(() => undefined);
    }
  }

  private throwIfStopping(): void {
    if (this.stopping) throw new IntakeStoppedError();
  }
}
