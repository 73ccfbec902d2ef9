import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextFromHeaders, contextFromTraceParent, traceContextText, traceContextTextOf } from './trace-context.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const TRACE_PARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('contextFromTraceParent', () => {
  it('continues a valid traceparent as a remote parent, with its trace state', () => {
    const spanContext = trace.getSpanContext(contextFromTraceParent(TRACE_PARENT, 'vendor=abc,other=1'));
    expect(spanContext).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(spanContext!.traceState!.serialize()).toBe('vendor=abc,other=1');
  });

  it.each([
    ['nothing', undefined],
    ['an empty header', ''],
    ['garbage', 'not a traceparent'],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with a suffix', `${TRACE_PARENT}-extra`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['two headers joined', `${TRACE_PARENT}${TRACE_PARENT}`],
  ])('ignores %s: a new trace begins', (_what, header) => {
    expect(contextFromTraceParent(header)).toBe(ROOT_CONTEXT);
    expect(trace.getSpanContext(contextFromTraceParent(header, 'vendor=abc'))).toBeUndefined();
  });
});

describe('contextFromHeaders', () => {
  it('reads traceparent first, and the CloudEvents ce_traceparent when there is none', () => {
    const other = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`;
    expect(trace.getSpanContext(contextFromHeaders({ traceparent: TRACE_PARENT, ce_traceparent: other }))?.traceId).toBe(TRACE_ID);
    expect(trace.getSpanContext(contextFromHeaders({ ce_traceparent: other, ce_tracestate: 'k=v' }))).toMatchObject({
      traceId: '1'.repeat(32),
      traceFlags: TraceFlags.NONE,
    });
    expect(contextFromHeaders({ 'content-type': 'application/json' })).toBe(ROOT_CONTEXT);
  });
});

describe('traceContextText', () => {
  it('writes a span context back in its canonical form', () => {
    expect(traceContextTextOf(contextFromTraceParent(` ${TRACE_PARENT} `, 'vendor=abc'))).toEqual({
      traceParent: TRACE_PARENT,
      traceState: 'vendor=abc',
    });
    expect(traceContextText({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE })).toEqual({
      traceParent: `00-${TRACE_ID}-${SPAN_ID}-00`,
      traceState: null,
    });
  });

  it('gives null for no span context or an invalid one', () => {
    expect(traceContextText(undefined)).toBeNull();
    expect(traceContextTextOf(ROOT_CONTEXT)).toBeNull();
    expect(traceContextText({ traceId: '0'.repeat(32), spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED })).toBeNull();
  });
});
