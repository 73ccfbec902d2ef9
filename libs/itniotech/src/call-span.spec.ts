import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { endCallSpan, startCallSpan } from './call-span.js';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(() => trace.disable());
beforeEach(() => exporter.reset());

const url = new URL('https://user:pass@api.itniotech.com/v3/voice/group/call/resend/ai?token=abc');

describe('the provider call span', () => {
  it('is an HTTP client span named after the method, with the semantic-convention attributes', () => {
    endCallSpan(
      startCallSpan('POST', url, 'submit'),
      { kind: 'response', httpStatus: 200, bodyText: '{"status":"0","reason":"ok","data":7}' },
      [],
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('POST');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toEqual({
      'http.request.method': 'POST',
      // No credentials, no query.
      'url.full': 'https://api.itniotech.com/v3/voice/group/call/resend/ai',
      'server.address': 'api.itniotech.com',
      'server.port': 443,
      'http.response.status_code': 200,
      'itniotech.call.kind': 'submit',
      'itniotech.status': '0',
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('carries the provider code of a rejection, and a readable code for other answers', () => {
    const plain = new URL('http://127.0.0.1:8090/voice/group/call/query');
    endCallSpan(
      startCallSpan('POST', plain, 'lookup'),
      { kind: 'response', httpStatus: 200, bodyText: '{"status":"-41","reason":"exists"}' },
      [],
    );
    endCallSpan(startCallSpan('POST', plain, 'lookup'), { kind: 'response', httpStatus: 200, bodyText: '<html>' }, []);
    endCallSpan(startCallSpan('POST', plain, 'lookup'), { kind: 'response', httpStatus: 503, bodyText: 'busy' }, []);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes['itniotech.status'])).toEqual(['-41', 'BAD_RESPONSE', 'HTTP_503']);
    expect(spans[0]!.attributes['server.port']).toBe(8090);
    expect(spans[2]!.attributes['error.type']).toBe('503');
    expect(spans[2]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('marks a transport failure as an error, with the secrets masked out of its message', () => {
    endCallSpan(
      startCallSpan('POST', url, 'submit'),
      { kind: 'transport_error', errorCode: 'TIMEOUT', message: 'no answer for sign-123 within 10 s', outcomeUnknown: true },
      ['secret-xyz', 'sign-123'],
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['error.type']).toBe('TIMEOUT');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no answer for [redacted] within 10 s' });
  });

  it('never carries a header (Sign, Api-Key) or the secret', () => {
    endCallSpan(startCallSpan('POST', url, 'submit'), { kind: 'response', httpStatus: 200, bodyText: '{"status":"0","data":1}' }, []);
    const [span] = exporter.getFinishedSpans();
    expect(Object.keys(span!.attributes).filter((name) => /header|sign|key|secret/i.test(name))).toEqual([]);
  });
});
