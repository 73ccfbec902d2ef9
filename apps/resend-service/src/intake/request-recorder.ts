import { Injectable, Logger } from '@nestjs/common';
import { describeIssues, parseResendRequest, type ParsedResendRequest } from '#contracts';
import type { ResendAiRequest } from '#itniotech';
import { DataSource, In, type EntityManager } from 'typeorm';
import { LogContext } from '../logging/log-context.js';
import { OutcomeEvents } from '../outcome/outcome-events.js';
import { bodyFingerprint } from '../requests/body-fingerprint.js';
import { LIVE_STATUSES, ResendRequest } from '../requests/resend-request.entity.js';
import type { ConsumedMessage } from './consumed-message.js';
import { DeadLetters } from './dead-letters.js';
import { decodeMessageValue } from './message-decoding.js';

/** What recording a message did; `pending` means a worker has something new to submit. */
export type RecordingResult = 'pending' | 'redelivery' | 'duplicate' | 'rejected' | 'dead_lettered';

type ValidRequest = Extract<ParsedResendRequest, { ok: true }>;
type InvalidRequest = Extract<ParsedResendRequest, { ok: false }>;

/**
 * Turns one consumed message into audit rows, in ONE transaction: a request row (pending,
 * duplicate or failed) and, where the request is already decided, its outcome event in the
 * outbox; or a dead letter. No provider call happens here.
 */
@Injectable()
export class RequestRecorder {
  private readonly logger = new Logger(RequestRecorder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetters,
    private readonly outcomes: OutcomeEvents,
    private readonly logContext: LogContext,
  ) {}

  record(message: ConsumedMessage): Promise<RecordingResult> {
    return this.dataSource.transaction((transaction) => this.recordIn(transaction, message));
  }

  /** For a message whose content the database refuses to store (e.g. a NUL character in a string). */
  recordUnstorable(message: ConsumedMessage, error: unknown): Promise<RecordingResult> {
    return this.dataSource.transaction(async (transaction): Promise<RecordingResult> => {
      await this.deadLetters.record(transaction, message, 'unrecordable', `the database refused the message: ${(error as Error).message}`);
      return 'dead_lettered';
    });
  }

  private async recordIn(transaction: EntityManager, message: ConsumedMessage): Promise<RecordingResult> {
    const decoded = decodeMessageValue(message.value);
    if (!decoded.ok) {
      await this.deadLetters.record(transaction, message, decoded.reason, decoded.message);
      return 'dead_lettered';
    }
    const parsed = parseResendRequest(decoded.value);
    const requestId = parsed.requestId ?? `${message.topic}:${message.partition}:${message.offset}`;
    this.logContext.assign({ requestId, keyId: parsed.ok ? parsed.body.keyId : parsed.keyId });
    if (await this.alreadyRecorded(transaction, requestId, message)) {
      this.logger.log(`ignored redelivery of request ${requestId} (${message.topic}[${message.partition}]@${message.offset})`);
      return 'redelivery';
    }
    const row = this.newRow(message, decoded.value, requestId, parsed);
    return parsed.ok
      ? this.recordValid(transaction, row, parsed)
      : this.recordInvalid(transaction, row, parsed, message);
  }

  private async alreadyRecorded(transaction: EntityManager, requestId: string, message: ConsumedMessage): Promise<boolean> {
    return transaction.exists(ResendRequest, {
      where: [
        { requestId },
        { kafkaTopic: message.topic, kafkaPartition: message.partition, kafkaOffset: Number(message.offset) },
      ],
    });
  }

  private newRow(
    message: ConsumedMessage,
    payload: Record<string, unknown>,
    requestId: string,
    parsed: ParsedResendRequest,
  ): ResendRequest {
    return Object.assign(new ResendRequest(), {
      requestId,
      keyId: parsed.ok ? parsed.body.keyId : parsed.keyId,
      taskName: parsed.ok ? parsed.body.taskName : parsed.taskName,
      correlationId: parsed.correlationId,
      payload,
      attempts: 0,
      kafkaTopic: message.topic,
      kafkaPartition: message.partition,
      kafkaOffset: Number(message.offset),
    });
  }

  private async recordValid(transaction: EntityManager, row: ResendRequest, parsed: ValidRequest): Promise<RecordingResult> {
    row.providerBody = parsed.body;
    row.bodyFingerprint = bodyFingerprint(parsed.body);
    const earlier = await this.liveRequestFor(transaction, parsed.body);
    if (!earlier) {
      await transaction.insert(ResendRequest, { ...row, status: 'pending', nextAttemptAt: new Date() });
      this.logger.log(`recorded request ${row.requestId} for keyId ${row.keyId}`);
      return 'pending';
    }
    if (earlier.bodyFingerprint === row.bodyFingerprint) {
      await transaction.insert(ResendRequest, { ...row, status: 'duplicate', duplicateOf: earlier.id, finishedAt: new Date() });
      this.logger.log(`request ${row.requestId} repeats ${earlier.requestId} for keyId ${row.keyId}; not sent again`);
      return 'duplicate';
    }
    return this.rejectConflictingDuplicate(transaction, row, earlier);
  }

  private async rejectConflictingDuplicate(
    transaction: EntityManager,
    row: ResendRequest,
    earlier: ResendRequest,
  ): Promise<RecordingResult> {
    const failure = {
      code: 'DUPLICATE_KEY_ID',
      category: 'duplicate' as const,
      message:
        `keyId ${row.keyId} already has request ${earlier.requestId} (${earlier.status}` +
        `${earlier.providerTaskId ? `, new task ${earlier.providerTaskId}` : ''}) with a different payload; ` +
        'a keyId can be resent again only after its earlier request failed',
    };
    await this.insertFailed(transaction, { ...row, duplicateOf: earlier.id }, failure);
    await this.outcomes.failed(transaction, row, failure, new Date(), {
      requestId: earlier.requestId,
      newKeyId: earlier.providerTaskId,
    });
    this.logger.warn(`request ${row.requestId} rejected: ${failure.message}`);
    return 'rejected';
  }

  private async recordInvalid(
    transaction: EntityManager,
    row: ResendRequest,
    parsed: InvalidRequest,
    message: ConsumedMessage,
  ): Promise<RecordingResult> {
    const failure = { code: 'VALIDATION', category: 'validation' as const, message: describeIssues(parsed.issues) };
    await this.insertFailed(transaction, row, failure);
    await this.outcomes.failed(transaction, row, failure, new Date());
    this.logger.warn(`request ${row.requestId} is invalid: ${failure.message}`);
    if (parsed.keyId === null) {
      await this.deadLetters.record(transaction, message, 'no_usable_key_id', failure.message);
    }
    return 'rejected';
  }

  private async insertFailed(
    transaction: EntityManager,
    row: ResendRequest,
    failure: { code: string; message: string; category: ResendRequest['errorCategory'] },
  ): Promise<void> {
    await transaction.insert(ResendRequest, {
      ...row,
      status: 'failed',
      errorCode: failure.code,
      errorMessage: failure.message,
      errorCategory: failure.category,
      finishedAt: new Date(),
    });
  }

  /** The request currently holding this keyId, locked so that a concurrent intake waits for our decision. */
  private liveRequestFor(transaction: EntityManager, body: ResendAiRequest): Promise<ResendRequest | null> {
    return transaction.findOne(ResendRequest, {
      where: { keyId: body.keyId, status: In([...LIVE_STATUSES]) },
      lock: { mode: 'pessimistic_write' },
    });
  }
}
