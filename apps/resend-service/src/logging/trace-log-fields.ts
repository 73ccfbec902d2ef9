import { isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * The pino mixin that puts the active span's ids on each log line (`trace_id`, `span_id`,
 * `trace_flags`, the OpenTelemetry log data model's names), so that a line is found from its
 * trace and the other way round. With tracing off there is never an active span: the mixin adds
 * nothing and costs one lookup.
 */
export function traceLogFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  // A fresh object each time: pino merges the line's own fields into what the mixin returns.
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2),
  };
}
