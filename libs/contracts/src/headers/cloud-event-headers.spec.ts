import { describe, expect, it } from 'vitest';
import { CloudEvent, Kafka } from 'cloudevents';
import { buildCloudEventHeaders, readCloudEvent, REQUIRED_CLOUD_EVENT_HEADERS, validateCloudEventHeaders } from './cloud-event-headers.js';

const attributes = {
  id: '0b6f3c1e-7d1a-4c55-9a57-7f0c2d1e4b11',
  type: 'campaign.resend.completed',
  source: '/resend-relay/eu-1',
  time: '2024-06-03T08:42:05.123Z',
  subject: 123,
  correlationId: 'campaign-42',
};

describe('buildCloudEventHeaders', () => {
  it('writes every attribute as a ce_ header plus the content type', () => {
    expect(buildCloudEventHeaders(attributes)).toEqual({
      ce_specversion: '1.0',
      ce_id: '0b6f3c1e-7d1a-4c55-9a57-7f0c2d1e4b11',
      ce_type: 'campaign.resend.completed',
      ce_source: '/resend-relay/eu-1',
      ce_time: '2024-06-03T08:42:05.123Z',
      ce_subject: '123',
      ce_correlationid: 'campaign-42',
      'content-type': 'application/json',
    });
  });

  it('defaults the source to /resend-relay', () => {
    expect(buildCloudEventHeaders({ ...attributes, source: undefined }).ce_source).toBe('/resend-relay');
  });

  it.each([null, undefined, ''])('leaves out subject and correlation id when they are %j', (unknown) => {
    const headers = buildCloudEventHeaders({ ...attributes, subject: unknown, correlationId: unknown });
    expect(Object.keys(headers).sort()).toEqual([...REQUIRED_CLOUD_EVENT_HEADERS].sort());
  });

  it('adds the trace context as the CloudEvents extension and as the W3C headers', () => {
    const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(buildCloudEventHeaders({ ...attributes, traceParent, traceState: 'vendor=abc' })).toEqual({
      ...buildCloudEventHeaders(attributes),
      ce_traceparent: traceParent,
      ce_tracestate: 'vendor=abc',
      traceparent: traceParent,
      tracestate: 'vendor=abc',
    });
    const withoutState = buildCloudEventHeaders({ ...attributes, traceParent, traceState: null });
    expect(withoutState).toMatchObject({ ce_traceparent: traceParent, traceparent: traceParent });
    expect(Object.keys(withoutState)).not.toContain('tracestate');
    expect(Object.keys(withoutState)).not.toContain('ce_tracestate');
    expect(Object.keys(buildCloudEventHeaders({ ...attributes, traceParent: null, traceState: 'vendor=abc' }))).not.toContain('tracestate');
  });

  it.each([
    [
      'every attribute',
      { ...attributes, traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: 'vendor=abc' },
    ],
    ['a trace context without state', { ...attributes, traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }],
    ['no subject, correlation id, source or trace', { ...attributes, subject: null, correlationId: '', source: undefined }],
    ['a subject given as text', { ...attributes, subject: '77' }],
  ])('writes the ce_ headers the CloudEvents SDK Kafka binding writes, with %s', (_, given) => {
    expect(withoutTraceContext(buildCloudEventHeaders(given))).toEqual(headersOfTheSdk(given));
  });

  it('describes an event that the CloudEvents SDK reads back and finds valid', () => {
    const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const headers = buildCloudEventHeaders({ ...attributes, traceParent });
    const event = readCloudEvent({ key: '123', value: Buffer.from('{"requestId":"r-1"}'), headers });
    expect(event).toBeInstanceOf(CloudEvent);
    expect(event.validate()).toBe(true);
    expect({ ...event }).toMatchObject({
      id: attributes.id,
      type: attributes.type,
      source: attributes.source,
      time: attributes.time,
      subject: '123',
      datacontenttype: 'application/json',
      correlationid: 'campaign-42',
      traceparent: traceParent,
      data: { requestId: 'r-1' },
    });
  });
});

describe('validateCloudEventHeaders', () => {
  it('accepts what buildCloudEventHeaders writes, as strings or as Buffers', () => {
    const headers = buildCloudEventHeaders(attributes);
    const asBuffers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));
    expect(validateCloudEventHeaders(headers)).toEqual([]);
    expect(validateCloudEventHeaders(asBuffers)).toEqual([]);
  });

  it('names each missing or wrong header', () => {
    const { ce_id: _id, ...withoutId } = buildCloudEventHeaders(attributes);
    expect(validateCloudEventHeaders({ ...withoutId, ce_specversion: '0.3', 'content-type': 'text/plain', ce_time: 'yesterday' })).toEqual([
      'ce_id is missing',
      'ce_specversion must be "1.0"',
      'content-type must be "application/json"',
      'ce_time must be an ISO 8601 date-time with a zone',
    ]);
  });
});

/**
 * What the SDK's binding writes for the same attributes (binary mode), less what we leave out on
 * purpose: attributes without a value, and ce_datacontenttype (the spec maps it to content-type).
 */
function headersOfTheSdk(given: Parameters<typeof buildCloudEventHeaders>[0]): Record<string, string> {
  const { subject, correlationId, traceParent, traceState } = given;
  const event = new CloudEvent(
    {
      specversion: '1.0',
      id: given.id,
      type: given.type,
      source: given.source || '/resend-relay',
      time: given.time,
      datacontenttype: 'application/json',
      ...(subject !== undefined && subject !== null && subject !== '' ? { subject: String(subject) } : {}),
      ...(correlationId ? { correlationid: correlationId } : {}),
      ...(traceParent ? { traceparent: traceParent, ...(traceState ? { tracestate: traceState } : {}) } : {}),
    },
    false,
  );
  const written = Object.entries(Kafka.binary(event).headers).filter(
    ([name, value]) => value !== undefined && value !== null && name !== 'ce_datacontenttype',
  );
  return Object.fromEntries(written.map(([name, value]) => [name, String(value)]));
}

/** The W3C headers are ours, not the binding's. */
function withoutTraceContext(headers: Record<string, string>): Record<string, string> {
  const { traceparent: _parent, tracestate: _state, ...rest } = headers;
  return rest;
}
