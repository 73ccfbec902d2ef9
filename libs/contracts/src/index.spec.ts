import { describe, expect, it } from 'vitest';
import * as contracts from '#contracts';

describe('#contracts public API', () => {
  it('exports the topic names and the size limit', () => {
    expect(contracts.DEFAULT_TOPICS).toEqual({
      requested: 'campaign.resend.requested',
      completed: 'campaign.resend.completed',
      failed: 'campaign.resend.failed',
      deadLetter: 'campaign.resend.requested.dlq',
    });
    expect(contracts.MAX_REQUEST_BYTES).toBe(65_536);
  });

  it.each([
    'parseResendRequest',
    'describeIssues',
    'validateCompletedEvent',
    'validateFailedEvent',
    'validateRequestedEvent',
    'buildCloudEventHeaders',
    'readCloudEvent',
    'validateCloudEventHeaders',
  ])('exports the function %s', (name) => {
    expect(typeof (contracts as Record<string, unknown>)[name]).toBe('function');
  });

  it('exports the dead-letter header names', () => {
    expect(Object.values(contracts.DEAD_LETTER_HEADERS)).toEqual([
      'dlq_reason',
      'dlq_error',
      'dlq_source_topic',
      'dlq_source_partition',
      'dlq_source_offset',
      'dlq_failed_at',
    ]);
  });

  it('exports the JSON Schemas as plain JSON objects', () => {
    for (const schema of [contracts.resendRequestedJsonSchema, contracts.resendCompletedJsonSchema, contracts.resendFailedJsonSchema]) {
      expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    }
  });
});
