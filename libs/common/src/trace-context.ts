import { ROOT_CONTEXT, trace, type Context, type SpanContext, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { TRACE_PARENT_HEADER, TRACE_STATE_HEADER, W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C Trace Context as the service carries it: read from a request message's headers, stored
 * with the request (so that whichever instance picks the request up continues the same trace),
 * stored with each outbox row, and written to outcome events.
 *
 * The W3C propagator is used directly rather than through the global propagation API: the
 * global one is a no-op while tracing is off, and a request's trace context is kept and passed
 * on even then (the spans of this service are then no-ops, so an outcome event continues the
 * producer's own trace).
 */
export const TRACE_HEADERS = { traceParent: TRACE_PARENT_HEADER, traceState: TRACE_STATE_HEADER } as const;

/** A span context in its W3C text form: `traceparent` (`00-<trace id>-<span id>-<flags>`) and `tracestate`. */
export interface TraceContextText {
  traceParent: string;
  /** null when empty. */
  traceState: string | null;
}

const propagator = new W3CTraceContextPropagator();

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The context that continues `traceParent`: a remote parent with its trace state. A missing or
 * malformed `traceparent` (wrong length, version ff, all-zero ids, …) is ignored and gives
 * ROOT_CONTEXT, so that spans started in it begin a new trace; it never throws.
 */
export function contextFromTraceParent(
  traceParent: string | null | undefined,
  traceState?: string | null,
  parent: Context = ROOT_CONTEXT,
): Context {
  if (typeof traceParent !== 'string' || traceParent === '') return parent;
  try {
    return propagator.extract(parent, { traceparent: traceParent, tracestate: traceState ?? undefined }, recordGetter);
  } catch {
    return parent;
  }
}

/**
 * The trace context carried by message headers: `traceparent`/`tracestate`, or, when there is no
 * `traceparent`, the CloudEvents distributed-tracing extension's `ce_traceparent`/`ce_tracestate`.
 */
export function contextFromHeaders(headers: Readonly<Record<string, string | undefined>>): Context {
  if (headers[TRACE_PARENT_HEADER]) return contextFromTraceParent(headers[TRACE_PARENT_HEADER], headers[TRACE_STATE_HEADER]);
  return contextFromTraceParent(headers[`ce_${TRACE_PARENT_HEADER}`], headers[`ce_${TRACE_STATE_HEADER}`]);
}

/** The W3C text of a span context; null when it is not a valid one (no trace to continue). */
export function traceContextText(spanContext: SpanContext | undefined): TraceContextText | null {
  if (!spanContext) return null;
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, recordSetter);
  const traceParent = carrier[TRACE_PARENT_HEADER];
  if (!traceParent) return null;
  return { traceParent, traceState: carrier[TRACE_STATE_HEADER] || null };
}

/** The span context of a context (its active span, or the remote parent it continues), as W3C text. */
export function traceContextTextOf(context: Context): TraceContextText | null {
  return traceContextText(trace.getSpanContext(context));
}
