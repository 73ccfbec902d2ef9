import { describe, expect, it } from 'vitest';
import { buildCloudEventHeaders, REQUIRED_CLOUD_EVENT_HEADERS, validateCloudEventHeaders } from './cloud-event-headers.js';

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
    expect(
      validateCloudEventHeaders({ ...withoutId, ce_specversion: '0.3', 'content-type': 'text/plain', ce_time: 'yesterday' }),
    ).toEqual([
      'ce_id is missing',
      'ce_specversion must be "1.0"',
      'content-type must be "application/json"',
      'ce_time must be an ISO 8601 date-time with a zone',
    ]);
  });
});
