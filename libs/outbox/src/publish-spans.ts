import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { contextFromTraceParent, endSpanWithError, MESSAGING_ATTRIBUTES, RESEND_ATTRIBUTES, serviceTracer } from '#common';
import type { OutboxRecord } from './outbox-publisher.js';

/**
 * One `send <topic>` span (PRODUCER) per traced record, child of the context stored with the row
 * (the span that decided the outcome): the publication shows in the request's own trace. They
 * start when the batch is handed to Kafka and end when Kafka acknowledged it (or refused it).
 * Records stored without a trace context (replays, rows from before tracing) get none. While
 * tracing is off these are the API's no-op spans.
 */
export function startPublishSpans(records: OutboxRecord[]): Map<string, Span> {
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

/** Ends the spans once Kafka answered; a record it refused for good (id → why) ends as an error. */
export function endPublishSpans(spans: Map<string, Span>, refused: ReadonlyMap<string, string> = new Map()): void {
  for (const [id, span] of spans) {
    const reason = refused.get(id);
    if (reason !== undefined && span.isRecording()) span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    span.end();
  }
}

/** Ends the spans with the error Kafka (or the connection to it) answered. */
export function failPublishSpans(spans: Map<string, Span>, error: unknown): void {
  spans.forEach((span) => endSpanWithError(span, error));
}
