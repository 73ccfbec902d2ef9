import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import {
  contextFromTraceParent,
  endSpanWithError,
  RESEND_ATTRIBUTES,
  serviceTracer,
  traceContextText,
  type TraceContextText,
} from '#common';
import type { ClaimedRequest } from './claimed-request.js';
import type { RecordedStep } from './result-recorder.js';

/**
 * The `resend.submit` span of one claim: child of the context stored with the request at intake
 * (the span that recorded it, on whichever instance), so that a request claimed here, later, or
 * after a crash elsewhere continues the same trace. Its provider calls are its children, the log
 * lines written inside it carry its ids, and the outcome it decides is written with its context.
 */
export class SubmitSpan {
  /** Run the work in this context: the span is the active one there. */
  readonly context: Context;
  /**
   * Its context as W3C text, for the outcome event. While tracing is off the span is a no-op that
   * keeps its parent's context: the stored one (the producer's own) is passed on unchanged.
   */
  readonly trace: TraceContextText | null;

  private constructor(
    private readonly span: Span,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span);
    this.trace = traceContextText(span.spanContext());
  }

  static start(request: ClaimedRequest): SubmitSpan {
    const parent = contextFromTraceParent(request.traceParent, request.traceState);
    const span = serviceTracer().startSpan('resend.submit', { kind: SpanKind.INTERNAL }, parent);
    if (span.isRecording()) {
      span.setAttributes({ [RESEND_ATTRIBUTES.requestId]: request.requestId, [RESEND_ATTRIBUTES.keyId]: request.keyId });
    }
    return new SubmitSpan(span, parent);
  }

  /** Runs `work` with this span active (across its awaits). */
  run<T>(work: () => T): T {
    return context.with(this.context, work);
  }

  /** What came of the claim: the step recorded last, and the provider calls made so far. */
  succeeded(request: ClaimedRequest, step: RecordedStep): void {
    if (this.span.isRecording()) {
      this.span.setAttributes({ [RESEND_ATTRIBUTES.step]: step.kind, [RESEND_ATTRIBUTES.attempt]: request.attempts });
      if (step.kind === 'fail') this.span.setAttribute(RESEND_ATTRIBUTES.errorCategory, step.failure.category);
    }
    this.span.end();
  }

  failed(error: unknown): void {
    endSpanWithError(this.span, error);
  }
}
