import { Injectable, Logger } from '@nestjs/common';
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import {
  backoffDelayMs,
  contextFromHeaders,
  endSpanWithError,
  failpoint,
  MESSAGING_ATTRIBUTES,
  RESEND_ATTRIBUTES,
  serviceTracer,
  traceContextText,
} from '#common';
import { afterCommit, type AfterCommit, type SqlExecutor } from '#sql';
import { AppConfig } from '../config/app-config.js';
import { OutboxWriter, type OutboxMessage } from '#outbox';
import { blamesTheMessage, classifyDatabaseError, sqlStateOf, type DatabaseErrorKind } from '../database/database-errors.js';
import { Sql } from '../database/sql.js';
import { LogContext } from '../logging/log-context.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { OutcomeEvents } from '../outcome/outcome-events.js';
import { FlowProgress } from '../requests/flow-progress.js';
import { PendingWorkSignal } from '../requests/pending-work-signal.js';
import type { ClaimedRequest } from '../submission/claimed-request.js';
import { RequestClaims } from '../submission/request-claims.js';
import { SubmissionWorker, type CallSlotReservation } from '../submission/submission.worker.js';
import type { ConsumedMessage } from './consumed-message.js';
import { DeadLetters, type DeadLetterEntry } from './dead-letters.js';
import {
  decideIntake,
  freshRequests,
  recordingResultOf,
  requestIdAtPosition,
  requestIdsToLookUp,
  type IntakeDecision,
  type LiveRequest,
  type RecordedBefore,
} from './intake-decision.js';
import { insertNewRequests, insertRequests, selectRecordedAndLockLive, type NewRequestRow, type RecordedAndLiveRow } from './intake.sql.js';
import { readMessage, type ReceivedMessage, type ReceivedRequest } from './received-message.js';

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

/** What one batch's transaction wrote, and the new requests it claimed for this instance's worker. */
interface RecordedBatch {
  decisions: IntakeDecision[];
  events: OutboxMessage[];
  deadLettered: number;
  /** New pending requests left for the worker to claim (no free call slot for them). */
  unclaimed: number;
}

/**
 * Records consumed messages before their offsets may be committed, a batch of one partition at a
 * time: new valid requests in one transaction of one round trip; whatever the unique indexes turn
 * away there (a redelivery, a repeated keyId), or a batch that is not only new valid requests, in
 * one transaction that reads first and decides (requests, their early outcomes, dead letters).
 * New requests the worker has free call slots for are claimed in the transaction that records
 * them, and their calls start once it commits. A database that cannot record the batch now — an
 * outage, a read-only server, a missing privilege, a schema the code does not match yet, conflicts
 * past a few in a row — is waited out here with heartbeats (a log line, a metric, readiness red
 * once it lasts: FlowProgress), instead of being thrown to the consumer. Only data the database
 * refuses as such (database-errors.ts: blamesTheMessage) is narrowed down to the message that
 * carries it, which is dead-lettered, so that no such message can stall its partition or poison its batch.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private stopping = false;
  /** The `resend.record` span of each message being recorded (batches of several partitions at once). */
  private readonly recordSpans = new WeakMap<ReceivedMessage, Span>();

  constructor(
    private readonly config: AppConfig,
    private readonly sql: Sql,
    private readonly deadLetters: DeadLetters,
    private readonly outbox: OutboxWriter,
    private readonly outcomes: OutcomeEvents,
    private readonly pendingWork: PendingWorkSignal,
    private readonly worker: SubmissionWorker,
    private readonly claims: RequestClaims,
    private readonly metrics: FlowMetrics,
    private readonly logContext: LogContext,
    private readonly progress: FlowProgress,
  ) {}

  /** Resolves once every message is recorded; throws IntakeStoppedError if asked to stop first. */
  async receiveBatch(messages: readonly ConsumedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    if (messages.length === 0) return;
    const batch = messages.map(readMessage);
    const spans = batch.map((received) => this.startRecordSpan(received));
    try {
      await this.recordPatiently(batch, heartbeat);
    } catch (error) {
      // Given up (shutdown): nothing waits for intake any more; the batch is redelivered.
      if (error instanceof IntakeStoppedError) this.progress.intake.gaveUp();
      spans.forEach((span) => endSpanWithError(span, error));
      throw error;
    }
    spans.forEach((span) => span.end());
    await failpoint('after_request_recorded');
  }

  /**
   * One `resend.record` span (CONSUMER) per message, continuing the message's `traceparent` when
   * it carries a valid one (a new trace otherwise). It lasts until the message's transaction has
   * committed; its context is what the request row and the message's outcome or dead letter store.
   * While tracing is off it is the API's no-op span, whose context is the message's own (so the
   * producer's trace context is still stored and passed on), or none.
   */
  private startRecordSpan(received: ReceivedMessage): Span {
    const { message } = received;
    const span = serviceTracer().startSpan('resend.record', { kind: SpanKind.CONSUMER }, contextFromHeaders(message.headers));
    if (span.isRecording()) {
      span.setAttributes({
        [MESSAGING_ATTRIBUTES.system]: 'kafka',
        [MESSAGING_ATTRIBUTES.operationType]: 'process',
        [MESSAGING_ATTRIBUTES.operationName]: 'record',
        [MESSAGING_ATTRIBUTES.destinationName]: message.topic,
        [MESSAGING_ATTRIBUTES.destinationPartitionId]: String(message.partition),
        [MESSAGING_ATTRIBUTES.kafkaOffset]: Number(message.offset),
        [MESSAGING_ATTRIBUTES.consumerGroupName]: this.config.kafka.groupId,
      });
      if (received.kind === 'request') {
        span.setAttribute(RESEND_ATTRIBUTES.requestId, received.requestId);
        if (received.keyId !== null) span.setAttribute(RESEND_ATTRIBUTES.keyId, received.keyId);
      }
    }
    received.trace = traceContextText(span.spanContext());
    this.recordSpans.set(received, span);
    return span;
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
   * The common case in one round trip: a batch of valid requests with their own requestIds and
   * keyIds (freshRequests) is inserted as new and claimed, BEGIN and COMMIT in the same write,
   * without reading first; the unique indexes turn away what was recorded before or repeats a
   * live keyId (insertNewRequests). Returns the messages it did not record — all of them when the
   * batch does not qualify or the insert failed other than by an outage — for the full decision.
   */
  private async recordNewPatiently(batch: ReceivedMessage[], heartbeat: () => Promise<void>): Promise<ReceivedMessage[]> {
    const requests = freshRequests(batch);
    if (!requests) return batch;
    for (let outages = 0; ; outages += 1) {
      this.throwIfStopping();
      try {
        const recorded = await this.progress.intake.attempt(() => this.recordNewOnce(requests));
        this.logDecisions(recorded.requests, recorded.decisions);
        this.countRecorded(recorded);
        if (recorded.unclaimed > 0) this.pendingWork.wake();
        const inserted = new Set<ReceivedMessage>(recorded.requests);
        return batch.filter((received) => !inserted.has(received));
      } catch (error) {
        this.throwIfStopping();
        // Rolled back as a whole: the full decision finds out what the problem is, and waits it out or narrows it down.
        const kind = classifyDatabaseError(error);
        if (kind !== 'outage') return batch;
        this.metrics.databaseFailed('intake', kind);
        this.logWaiting(batch, error, kind, outages);
        await this.waitWithHeartbeats(backoffDelayMs(outages + 1, { baseMs: 200, maxMs: 10_000 }), heartbeat);
      }
    }
  }

  private async recordNewOnce(requests: ReceivedRequest[]): Promise<RecordedBatch & { requests: ReceivedRequest[] }> {
    let callSlots: CallSlotReservation | undefined;
    try {
      const rows = requests.map((received) => newRow(received));
      const { inserting, claiming } = await this.sql.transaction(async (transaction) => {
        const inserting = transaction.sendForRows<{ id: string }>(insertNewRequests, [JSON.stringify(rows)]);
        callSlots = this.worker.reserveCallSlots(rows.length);
        // Claims by id: a row the insert turned away is not there to be claimed.
        const claiming =
          callSlots.slots > 0 ? this.claims.claimRecorded(transaction, rows.slice(0, callSlots.slots)) : afterCommit(Promise.resolve([]));
        return { inserting, claiming };
      });
      // Committed: the claimed requests' calls may start.
      const claimed = await claiming.read();
      callSlots?.start(claimed);
      const insertedIds = new Set((await inserting.read()).map((row) => row.id));
      const recorded = requests.filter((received) => insertedIds.has(received.rowId));
      const decisions: IntakeDecision[] = recorded.map(() => ({ kind: 'pending' }));
      return { requests: recorded, decisions, events: [], deadLettered: 0, unclaimed: recorded.length - claimed.length };
    } finally {
      callSlots?.release();
    }
  }

  /** Reads what the batch meets in the database, decides every message, and writes the decisions. */
  private async recordDecidingPatiently(batch: ReceivedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    let failures = 0;
    let conflicts = 0;
    for (;;) {
      this.throwIfStopping();
      let kind: DatabaseErrorKind;
      try {
        const recorded = await this.progress.intake.attempt(() => this.recordOnce(batch));
        // After the commit: a batch rolled back by a race is decided again, and logged once, as recorded.
        this.logDecisions(batch, recorded.decisions);
        this.countRecorded(recorded);
        if (recorded.unclaimed > 0) this.pendingWork.wake();
        return;
      } catch (error) {
        this.throwIfStopping();
        kind = classifyDatabaseError(error);
        this.metrics.databaseFailed('intake', kind);
        if (kind === 'conflict' && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
        if (!blamesTheMessage(kind)) {
          // Not the messages' fault: waited out, however long it takes, and no message is lost.
          this.logWaiting(batch, error, kind, failures);
          failures += 1;
          await this.waitWithHeartbeats(backoffDelayMs(failures, { baseMs: 200, maxMs: 10_000 }), heartbeat);
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

  private async recordOnce(batch: ReceivedMessage[]): Promise<RecordedBatch> {
    let callSlots: CallSlotReservation | undefined;
    try {
      const { claiming, ...recorded } = await this.sql.transaction(async (transaction) => {
        const requests = batch.filter((received): received is ReceivedRequest => received.kind === 'request');
        const { recorded, live } = await this.readAndLock(transaction, requests);
        this.nameByPosition(requests, recorded);
        const decisions = decideIntake(batch, recorded, live);
        const writes = this.writesFor(batch, decisions);
        // Sent without waiting: the COMMIT goes with them. A row a concurrent intake recorded first
        // fails the insert on a unique index — a conflict: the batch is recorded again and sees it.
        if (writes.rows.length > 0) transaction.send(insertRequests, [JSON.stringify(writes.rows)]);
        const pending = writes.rows.filter((row) => row.status === 'pending');
        callSlots = this.worker.reserveCallSlots(pending.length);
        const claiming: AfterCommit<ClaimedRequest[]> =
          callSlots.slots > 0
            ? this.claims.claimRecorded(transaction, pending.slice(0, callSlots.slots))
            : afterCommit(Promise.resolve([]));
        const deadLettered = await this.deadLetters.record(transaction, writes.deadLetters);
        this.outbox.add(transaction, writes.events);
        return { decisions, events: writes.events, deadLettered, claiming, unclaimed: pending.length - callSlots.slots };
      });
      // Committed: the claimed requests' calls may start.
      callSlots?.start(await claiming.read());
      return recorded;
    } finally {
      callSlots?.release();
    }
  }

  /** After the commit: what it recorded, for the metrics. */
  private countRecorded({ decisions, events, deadLettered }: RecordedBatch): void {
    for (const decision of decisions) this.metrics.messageRecorded(recordingResultOf(decision));
    this.metrics.outcomesWritten(events);
    this.metrics.deadLettered(deadLettered);
  }

  /** What was recorded before, and the live requests of the batch's keyIds (locked): one round trip. */
  private async readAndLock(
    transaction: SqlExecutor,
    requests: ReceivedRequest[],
  ): Promise<{ recorded: RecordedBefore; live: Map<number, LiveRequest> }> {
    if (requests.length === 0) return { recorded: { requestIds: new Map() }, live: new Map() };
    const keyIds = [...new Set(requests.filter((request) => request.parsed.ok).map((request) => request.keyId!))];
    const [found] = await transaction.query<RecordedAndLiveRow>(selectRecordedAndLockLive, [requestIdsToLookUp(requests), keyIds]);
    const { recorded, live } = found!; // two aggregates: always exactly one row
    return {
      recorded: { requestIds: new Map(recorded.map((row) => [row.request_id, row.kafka_record_fingerprint])) },
      live: new Map(
        live.map((row) => [
          Number(row.key_id),
          {
            id: row.id,
            requestId: row.request_id,
            keyId: Number(row.key_id),
            status: row.status,
            fingerprint: row.body_fingerprint,
            providerTaskId: row.provider_task_id === null ? null : Number(row.provider_task_id),
          },
        ]),
      ),
    };
  }

  /**
   * A request without requestId is named by its position, unless a different record was recorded
   * under that name (the topic was deleted and created again): then by its position and record.
   */
  private nameByPosition(requests: ReceivedRequest[], recorded: RecordedBefore): void {
    for (const received of requests) {
      const requestId = requestIdAtPosition(received, recorded);
      if (requestId === received.requestId) continue;
      received.requestId = requestId;
      this.recordSpans.get(received)?.setAttribute(RESEND_ATTRIBUTES.requestId, requestId);
    }
  }

  /** The rows, outcome events and dead letters that the decisions call for. */
  private writesFor(batch: ReceivedMessage[], decisions: IntakeDecision[]) {
    const rows: NewRequestRow[] = [];
    const events: OutboxMessage[] = [];
    const deadLetters: DeadLetterEntry[] = [];
    const now = new Date();
    batch.forEach((received, index) => {
      const decision = decisions[index]!;
      if (received.kind === 'dead_letter') {
        deadLetters.push({ message: received.message, reason: received.reason, error: received.error, trace: received.trace });
        return;
      }
      if (decision.kind === 'redelivery' || decision.kind === 'dead_letter') return;
      const row = newRow(received);
      const subject = {
        requestId: row.request_id,
        keyId: row.key_id,
        taskName: row.task_name,
        correlationId: row.correlation_id,
        attempts: 0,
        trace: received.trace,
      };
      switch (decision.kind) {
        case 'pending':
          rows.push({ ...row, status: 'pending' });
          return;
        case 'duplicate': {
          const { original } = decision;
          // A repeat of a completed request is answered now; one of a request still under way, when that one ends.
          const answered = original.status === 'completed';
          rows.push({
            ...row,
            status: 'duplicate',
            duplicate_of: original.id,
            finished: answered,
            provider_task_id: answered ? original.providerTaskId : null,
          });
          if (answered) {
            const duplicateOf = { requestId: original.requestId, newKeyId: original.providerTaskId };
            events.push(
              this.outcomes.completed(subject, { newKeyId: original.providerTaskId!, resolvedByLookup: false, duplicateOf }, now),
            );
          }
          return;
        }
        case 'conflict': {
          const { original, failure } = decision;
          rows.push({ ...row, ...failedColumns(failure), duplicate_of: original.id });
          events.push(this.outcomes.failed(subject, failure, now, { requestId: original.requestId, newKeyId: original.providerTaskId }));
          return;
        }
        case 'invalid':
          rows.push({ ...row, ...failedColumns(decision.failure) });
          events.push(this.outcomes.failed(subject, decision.failure, now));
          if (decision.alsoDeadLetter) {
            deadLetters.push({
              message: received.message,
              reason: 'no_usable_key_id',
              error: decision.failure.message,
              trace: received.trace,
            });
          }
          return;
      }
    });
    return { rows, events, deadLetters };
  }

  /** The message cannot be stored (e.g. a NUL character jsonb refuses): keep it as a dead letter instead. */
  private async recordUnrecordable(received: ReceivedMessage, cause: unknown, heartbeat: () => Promise<void>): Promise<void> {
    const entry: DeadLetterEntry = {
      message: received.message,
      reason: 'unrecordable',
      error: `the database refused the message: ${(cause as Error)?.message ?? String(cause)}`,
      trace: received.trace,
    };
    this.recordSpans.get(received)?.setAttribute(RESEND_ATTRIBUTES.intakeDecision, 'unrecordable');
    for (let failures = 0; ; failures += 1) {
      this.throwIfStopping();
      try {
        const deadLettered = await this.progress.intake.attempt(() =>
          this.sql.transaction((transaction) => this.deadLetters.record(transaction, [entry])),
        );
        this.metrics.messageRecorded('dead_lettered');
        this.metrics.deadLettered(deadLettered);
        return;
      } catch (error) {
        const kind = classifyDatabaseError(error);
        this.metrics.databaseFailed('intake', kind);
        this.logWaiting([received], error, kind, failures);
        await this.waitWithHeartbeats(backoffDelayMs(failures + 1, { baseMs: 200, maxMs: 10_000 }), heartbeat);
      }
    }
  }

  /** Each line with its request's fields and, through the active span, its trace; the decision on the span. */
  private logDecisions(batch: ReceivedMessage[], decisions: IntakeDecision[]): void {
    batch.forEach((received, index) => {
      const decision = decisions[index]!;
      const span = this.recordSpans.get(received);
      span?.setAttribute(RESEND_ATTRIBUTES.intakeDecision, received.kind === 'request' ? decision.kind : 'dead_letter');
      if (received.kind !== 'request') return;
      const { requestId, keyId, message } = received;
      const log = () => this.logContext.run({ requestId, keyId }, () => this.logDecision(decision, requestId, keyId, message));
      if (span) context.with(trace.setSpan(context.active(), span), log);
      else log();
    });
  }

  private logDecision(decision: IntakeDecision, requestId: string, keyId: number | null, message: ConsumedMessage): void {
    switch (decision.kind) {
      case 'redelivery':
        return this.logger.log(`ignored redelivery of request ${requestId} (${message.topic}[${message.partition}]@${message.offset})`);
      case 'pending':
        return this.logger.log(`recorded request ${requestId} for keyId ${keyId}`);
      case 'duplicate':
        return this.logger.log(
          `request ${requestId} repeats ${decision.original.requestId} for keyId ${keyId} (${decision.original.status}); not sent again`,
        );
      case 'conflict':
        return this.logger.warn(`request ${requestId} rejected: ${decision.failure.message}`);
      case 'invalid':
        return this.logger.warn(`request ${requestId} is invalid: ${decision.failure.message}`);
    }
  }

  /** Names the SQLSTATE and what it means (database-errors.ts), so that a refusal that lasts can be told from an outage. */
  private logWaiting(batch: ReceivedMessage[], error: unknown, kind: DatabaseErrorKind, failures: number): void {
    // First failure and then every tenth: an outage must not flood the log.
    if (failures % 10 !== 0) return;
    const { topic, partition, offset } = batch[0]!.message;
    const more = batch.length > 1 ? ` and ${batch.length - 1} more` : '';
    const sqlState = sqlStateOf(error);
    const cause = `${(error as Error)?.message}; ${kind}${sqlState ? ` ${sqlState}` : ''}`;
    this.logger.warn(`cannot record ${topic}[${partition}]@${offset}${more} yet (${cause}); retrying`);
  }

  private throwIfStopping(): void {
    if (this.stopping) throw new IntakeStoppedError();
  }

  private async waitWithHeartbeats(delayMs: number, heartbeat: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + delayMs;
    while (Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deadline - Date.now())));
      await heartbeat().catch(() => undefined);
    }
  }
}

function newRow(received: ReceivedRequest): NewRequestRow {
  const { parsed, message } = received;
  return {
    id: received.rowId,
    request_id: received.requestId,
    key_id: received.keyId,
    task_name: parsed.ok ? parsed.body.taskName : parsed.taskName,
    correlation_id: parsed.correlationId,
    status: 'pending',
    payload: received.payload,
    provider_body: parsed.ok ? parsed.body : null,
    body_fingerprint: received.fingerprint,
    provider_task_id: null,
    duplicate_of: null,
    error_code: null,
    error_message: null,
    error_category: null,
    finished: false,
    kafka_topic: message.topic,
    kafka_partition: message.partition,
    kafka_offset: message.offset,
    kafka_record_fingerprint: message.fingerprint,
    trace_parent: received.trace?.traceParent ?? null,
    trace_state: received.trace?.traceState ?? null,
  };
}

function failedColumns(failure: { code: string; message: string; category: string }) {
  return {
    status: 'failed' as const,
    error_code: failure.code,
    error_message: failure.message,
    error_category: failure.category,
    finished: true,
  };
}
