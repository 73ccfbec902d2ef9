import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { buildCloudEventHeaders, type ErrorCategory, type ResendCompletedEvent, type ResendFailedEvent } from '#contracts';
import type { TraceContextText } from '#common';
import type { OutboxMessage } from '#outbox';
import { AppConfig } from '../config/app-config.js';

export interface FailureDescription {
  code: string;
  message: string;
  category: ErrorCategory;
}

/** What an outcome event says about its request. */
export interface OutcomeSubject {
  requestId: string;
  keyId: number | null;
  taskName: string | null;
  correlationId: string | null;
  attempts: number;
  /**
   * The trace the outcome belongs to: the context of the span that decided it (or, for a repeat
   * answered from its original, the repeat's own stored context). Written to the event's headers
   * (`traceparent`, `ce_traceparent`) and to the outbox row, whose publish span continues it.
   */
  trace?: TraceContextText | null;
}

/** The earlier request a repeat (or a conflicting request) was answered from. */
export interface OriginalRequest {
  requestId: string;
  newKeyId: number | null;
}

/**
 * Builds the outcome event of a request as an outbox message. The caller adds it to the outbox
 * in the transaction that sets the request's final state: the event exists if and only if that
 * state is committed.
 */
@Injectable()
export class OutcomeEvents {
  constructor(private readonly config: AppConfig) {}

  completed(
    request: OutcomeSubject,
    task: { newKeyId: number; resolvedByLookup: boolean; duplicateOf?: OriginalRequest },
    submittedAt: Date,
  ): OutboxMessage {
    const event: ResendCompletedEvent = {
      requestId: request.requestId,
      keyId: request.keyId!,
      taskName: request.taskName!,
      newKeyId: task.newKeyId,
      attempts: request.attempts,
      submittedAt: submittedAt.toISOString(),
      correlationId: request.correlationId,
      resolvedByLookup: task.resolvedByLookup,
      ...(task.duplicateOf ? { duplicateOf: task.duplicateOf } : {}),
    };
    return this.message(this.config.topics.completed, request, event, submittedAt);
  }

  failed(request: OutcomeSubject, failure: FailureDescription, failedAt: Date, duplicateOf?: OriginalRequest): OutboxMessage {
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
    return this.message(this.config.topics.failed, request, event, failedAt);
  }

  private message(topic: string, request: OutcomeSubject, event: object, time: Date): OutboxMessage {
    const id = randomUUID();
    const subject = request.keyId === null ? undefined : String(request.keyId);
    const headers = buildCloudEventHeaders({
      id,
      type: topic,
      source: this.config.cloudEventsSource,
      time: time.toISOString(),
      subject,
      correlationId: request.correlationId ?? undefined,
      traceParent: request.trace?.traceParent,
      traceState: request.trace?.traceState,
    });
    return { id, topic, key: subject ?? null, value: event, headers, requestId: request.requestId, trace: request.trace ?? null };
  }
}
