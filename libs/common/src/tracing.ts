import { SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

/**
 * The instrumentation scope of every span the service makes. Spans are made through the
 * OpenTelemetry API only: while no SDK is registered (tracing off, the default) each call is the
 * API's no-op, which costs next to nothing on the hot path.
 */
export const TRACER_NAME = 'resend-relay';

/** Resolved on every use: a tracer taken before the SDK is registered would stay a no-op. */
export function serviceTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Messaging attribute names of the OpenTelemetry semantic conventions (still "development" there,
 * so copied here, as the semantic-conventions package advises, rather than imported from its
 * unstable entry point).
 */
export const MESSAGING_ATTRIBUTES = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destinationName: 'messaging.destination.name',
  destinationPartitionId: 'messaging.destination.partition.id',
  consumerGroupName: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  kafkaOffset: 'messaging.kafka.offset',
  kafkaMessageKey: 'messaging.kafka.message.key',
  batchMessageCount: 'messaging.batch.message_count',
} as const;

/** Attributes of this service, on the spans of one request. */
export const RESEND_ATTRIBUTES = {
  requestId: 'resend.request_id',
  keyId: 'resend.key_id',
  /** What intake decided: pending, redelivery, duplicate, conflict, invalid, dead_letter. */
  intakeDecision: 'resend.intake.decision',
  /** Provider calls made for the request so far (the one in this span included). */
  attempt: 'resend.attempt',
  /** What came of a claim: complete, fail or retry. */
  step: 'resend.step',
  /** The failure category of a failed outcome. */
  errorCategory: 'resend.error.category',
  /** The provider's status code (`0` when it accepted; `-41`, `-15`, …), or our code when there was no answer. */
  providerStatus: 'itniotech.status',
  /** What the call was: submit (the resend) or lookup (a task query). */
  providerCallKind: 'itniotech.call.kind',
} as const;

/** Marks the span failed with the error's message (never anything else of it) and ends it. */
export function endSpanWithError(span: Span, error: unknown): void {
  if (span.isRecording()) {
    const message = error instanceof Error ? error.message : String(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
  }
  span.end();
}
