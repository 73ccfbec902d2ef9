import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  buildCloudEventHeaders,
  type ErrorCategory,
  type ResendCompletedEvent,
  type ResendFailedEvent,
} from '#contracts';
import { OutboxWriter } from '#outbox';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import type { ResendRequest } from '../requests/resend-request.entity.js';

export interface FailureDescription {
  code: string;
  message: string;
  category: ErrorCategory;
}

/**
 * Writes the outcome event of a request into the outbox, inside the transaction that sets the
 * request's final state: the event exists if and only if that state is committed.
 */
@Injectable()
export class OutcomeEvents {
  constructor(
    private readonly config: AppConfig,
    private readonly outbox: OutboxWriter,
    private readonly metrics: FlowMetrics,
  ) {}

  async completed(transaction: EntityManager, request: ResendRequest, submittedAt: Date): Promise<void> {
    const event: ResendCompletedEvent = {
      requestId: request.requestId,
      keyId: request.keyId!,
      taskName: request.taskName!,
      newKeyId: request.providerTaskId!,
      attempts: request.attempts,
      submittedAt: submittedAt.toISOString(),
      correlationId: request.correlationId,
      resolvedByLookup: request.resolvedByLookup,
    };
    await this.write(transaction, this.config.topics.completed, request, event, submittedAt);
    this.metrics.outcomeWritten(transaction, this.config.topics.completed, null);
  }

  async failed(
    transaction: EntityManager,
    request: ResendRequest,
    failure: FailureDescription,
    failedAt: Date,
    duplicateOf?: { requestId: string; newKeyId: number | null },
  ): Promise<void> {
    const event: ResendFailedEvent = {
      requestId: request.requestId,
      keyId: request.keyId,
      taskName: request.taskName,
      error: failure,
      attempts: request.attempts,
      failedAt: failedAt.toISOString(),
      correlationId: request.correlationId,
      ...(duplicateOf ? { duplicateOf } : {}),
    };
    await this.write(transaction, this.config.topics.failed, request, event, failedAt);
    this.metrics.outcomeWritten(transaction, this.config.topics.failed, failure.category);
  }

  private async write(
    transaction: EntityManager,
    topic: string,
    request: ResendRequest,
    event: object,
    time: Date,
  ): Promise<void> {
    const id = randomUUID();
    const subject = request.keyId === null ? undefined : String(request.keyId);
    const headers = buildCloudEventHeaders({
      id,
      type: topic,
      source: this.config.cloudEventsSource,
      time: time.toISOString(),
      subject,
      correlationId: request.correlationId ?? undefined,
    });
    await this.outbox.add(transaction, { id, topic, key: subject ?? null, value: event, headers });
  }
}
