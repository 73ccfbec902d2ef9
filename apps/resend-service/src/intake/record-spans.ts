import { Injectable } from '@nestjs/common';
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { contextFromHeaders, endSpanWithError, MESSAGING_ATTRIBUTES, RESEND_ATTRIBUTES, serviceTracer, traceContextText } from '#common';
import { AppConfig } from '../config/app-config.js';
import type { ReceivedMessage } from './received-message.js';

/**
 * The `resend.record` span (CONSUMER) of each message being recorded, continuing the message's
 * `traceparent` when it carries a valid one (a new trace otherwise). It lasts until the message's
 * transaction has committed; its context is what the request row and the message's outcome or
 * dead letter store. While tracing is off it is the API's no-op span, whose context is the
 * message's own (so the producer's trace context is still stored and passed on), or none.
 * Kept by message: batches of several partitions are recorded at once.
 */
@Injectable()
export class RecordSpans {
  private readonly spans = new WeakMap<ReceivedMessage, Span>();

  constructor(private readonly config: AppConfig) {}

  /** Starts the message's span and sets `received.trace` to its context. */
  start(received: ReceivedMessage): void {
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
    this.spans.set(received, span);
  }

  /** The request is recorded under another requestId than the one its span started with (requestIdAtPosition). */
  renamed(received: ReceivedMessage, requestId: string): void {
    this.spans.get(received)?.setAttribute(RESEND_ATTRIBUTES.requestId, requestId);
  }

  /** What intake decided for the message: a decision's kind, `dead_letter` or `unrecordable`. */
  decided(received: ReceivedMessage, decision: string): void {
    this.spans.get(received)?.setAttribute(RESEND_ATTRIBUTES.intakeDecision, decision);
  }

  /** Runs `work` with the message's span active: its log lines carry the span's trace. */
  runInSpan(received: ReceivedMessage, work: () => void): void {
    const span = this.spans.get(received);
    if (span) context.with(trace.setSpan(context.active(), span), work);
    else work();
  }

  end(received: ReceivedMessage): void {
    this.spans.get(received)?.end();
    this.spans.delete(received);
  }

  endWithError(received: ReceivedMessage, error: unknown): void {
    const span = this.spans.get(received);
    if (span) endSpanWithError(span, error);
    this.spans.delete(received);
  }
}
