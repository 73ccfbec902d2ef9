import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedRequest } from './claimed-request.js';
import { SubmitSpan } from './submit-span.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const RECORD_SPAN_ID = 'b7ad6b7169203331';
const stored = `00-${TRACE_ID}-${RECORD_SPAN_ID}-01`;

function claimed(traceParent: string | null, traceState: string | null = null): ClaimedRequest {
  return { requestId: 'req-1', keyId: 42, attempts: 1, traceParent, traceState } as ClaimedRequest;
}

describe('SubmitSpan while tracing is off (no SDK registered)', () => {
  it('passes the stored context on unchanged', () => {
    expect(SubmitSpan.start(claimed(stored, 'vendor=1')).trace).toEqual({ traceParent: stored, traceState: 'vendor=1' });
  });

  it('has no context when none was stored, or a malformed one', () => {
    expect(SubmitSpan.start(claimed(null)).trace).toBeNull();
    expect(SubmitSpan.start(claimed('00-garbage')).trace).toBeNull();
  });
});

describe('SubmitSpan with tracing on', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('continues the stored context: a child of the span that recorded the request, active while the work runs', async () => {
    const request = claimed(stored);
    const span = SubmitSpan.start(request);
    const active = await span.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return trace.getActiveSpan()?.spanContext();
    });
    span.succeeded(request, { kind: 'fail', failure: { code: '-41', message: 'exists', category: 'provider_rejected' } });

    const [finished] = exporter.getFinishedSpans();
    expect(finished!.name).toBe('resend.submit');
    expect(finished!.kind).toBe(SpanKind.INTERNAL);
    expect(finished!.spanContext().traceId).toBe(TRACE_ID);
    expect(finished!.parentSpanContext?.spanId).toBe(RECORD_SPAN_ID);
    expect(active?.spanId).toBe(finished!.spanContext().spanId);
    expect(span.trace).toEqual({ traceParent: `00-${TRACE_ID}-${finished!.spanContext().spanId}-01`, traceState: null });
    expect(finished!.attributes).toEqual({
      'resend.request_id': 'req-1',
      'resend.key_id': 42,
      'resend.step': 'fail',
      'resend.attempt': 1,
      'resend.error.category': 'provider_rejected',
    });
  });

  it('starts a trace of its own for a request stored without one, and ends failed with the error', () => {
    exporter.reset();
    const span = SubmitSpan.start(claimed(null));
    span.failed(new Error('lease on request req-1 was lost'));
    const [finished] = exporter.getFinishedSpans();
    expect(finished!.parentSpanContext).toBeUndefined();
    expect(finished!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'lease on request req-1 was lost' });
  });
});
