import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import type { ConsumedMessage } from './consumed-message.js';
import { readMessage, type ReceivedMessage } from './received-message.js';
import { RecordSpans } from './record-spans.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN_ID = 'b7ad6b7169203331';
const traceparent = `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01`;

function received(value: unknown, headers: Record<string, string> = {}): ReceivedMessage {
  const message: ConsumedMessage = {
    topic: 'campaign.resend.requested',
    partition: 3,
    offset: '41',
    key: null,
    value: Buffer.from(JSON.stringify(value)),
    headers,
    fingerprint: 'ab'.repeat(32),
  };
  return readMessage(message);
}

const spans = () => new RecordSpans({ kafka: { groupId: 'resend-relay' } } as AppConfig);

describe('RecordSpans while tracing is off (no SDK registered)', () => {
  it("stores the producer's own trace context with the message, or none", () => {
    const withTrace = received({ requestId: 'a', keyId: 1 }, { traceparent });
    const without = received({ requestId: 'b', keyId: 2 });
    spans().start(withTrace);
    spans().start(without);
    expect(withTrace.trace).toEqual({ traceParent: traceparent, traceState: null });
    expect(without.trace).toBeNull();
  });
});

describe('RecordSpans with tracing on', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  beforeEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it("continues the message's trace, names the request and its decision, and is active while its line is logged", () => {
    const recordSpans = spans();
    const message = received({ requestId: 'a', keyId: 1 }, { traceparent });
    recordSpans.start(message);
    recordSpans.renamed(message, 'a-renamed');
    recordSpans.decided(message, 'pending');
    let active: string | undefined;
    recordSpans.runInSpan(message, () => (active = trace.getActiveSpan()?.spanContext().spanId));
    recordSpans.end(message);

    const [finished] = exporter.getFinishedSpans();
    expect(finished!.name).toBe('resend.record');
    expect(finished!.kind).toBe(SpanKind.CONSUMER);
    expect(finished!.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
    expect(active).toBe(finished!.spanContext().spanId);
    expect(message.trace).toEqual({ traceParent: `00-${TRACE_ID}-${finished!.spanContext().spanId}-01`, traceState: null });
    expect(finished!.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'record',
      'messaging.destination.name': 'campaign.resend.requested',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 41,
      'messaging.consumer.group.name': 'resend-relay',
      'resend.request_id': 'a-renamed',
      'resend.key_id': 1,
      'resend.intake.decision': 'pending',
    });
  });

  it('ends failed with the error when the batch was not recorded', () => {
    const recordSpans = spans();
    const message = received({ requestId: 'a', keyId: 1 });
    recordSpans.start(message);
    recordSpans.endWithError(message, new Error('shutting down'));
    const [finished] = exporter.getFinishedSpans();
    expect(finished!.parentSpanContext).toBeUndefined();
    expect(finished!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'shutting down' });
  });
});
