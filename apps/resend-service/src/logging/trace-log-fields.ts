import { isSpanContextValid, trace } from '@opentelemetry/api';

const NONE: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The pino mixin that puts the active span's ids on each log line (`trace_id`, `span_id`,
 * `trace_flags`, the OpenTelemetry log data model's names), so that a line is found from its
 * trace and the other way round. With tracing off there is never an active span: the mixin adds
 * nothing and costs one lookup.
 */
export function traceLogFields(): Readonly<Record<string, string>> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return NONE;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2),
  };
}
