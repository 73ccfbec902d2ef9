import { describe, expect, it } from 'vitest';
import type { ResendCompletedEvent, ResendFailedEvent } from '../events/outcome-events.js';
import { parseResendRequest } from '../request/parse-resend-request.js';
import { validateCompletedEvent, validateFailedEvent, validateRequestedEvent } from './validate-events.js';

const completed: ResendCompletedEvent = {
  requestId: 'req-2024-06-03-001',
  keyId: 123,
  taskName: 'June resend',
  newKeyId: 123123,
  attempts: 1,
  submittedAt: '2024-06-03T08:42:05.123Z',
  correlationId: 'campaign-42',
  resolvedByLookup: false,
};

const failed: ResendFailedEvent = {
  requestId: 'campaign.resend.requested:2:1045',
  keyId: 123,
  taskName: 'June resend',
  error: { code: '-41', message: 'Task name already exists', category: 'provider_rejected' },
  attempts: 1,
  failedAt: '2024-06-03T08:42:06.001Z',
  correlationId: null,
};

const duplicate: ResendFailedEvent = {
  ...failed,
  error: { code: 'DUPLICATE', message: 'the same resend is already requested', category: 'duplicate' },
  attempts: 0,
  duplicateOf: { requestId: 'req-1', newKeyId: null },
};

const refused: ResendFailedEvent = {
  ...failed,
  keyId: null,
  taskName: null,
  error: { code: 'VALIDATION', message: 'keyId: must be a positive integer', category: 'validation' },
  attempts: 0,
};

describe('validateCompletedEvent', () => {
  it.each<[string, ResendCompletedEvent]>([
    ['a typical event', completed],
    ['an event resolved by lookup, without correlationId', { ...completed, resolvedByLookup: true, attempts: 3, correlationId: null }],
    ['an offset instead of Z', { ...completed, submittedAt: '2024-06-03T10:42:05+02:00' }],
    [
      'a repeat answered from its original',
      { ...completed, attempts: 0, duplicateOf: { requestId: 'req-1', newKeyId: completed.newKeyId } },
    ],
  ])('accepts %s', (_case, event) => {
    expect(validateCompletedEvent(event)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['a missing field', omit(completed, 'newKeyId'), "(root) must have required property 'newKeyId'"],
    ['an extra field', { ...completed, status: 'ok' }, '(root) must NOT have additional properties "status"'],
    ['keyId as a string', { ...completed, keyId: '123' }, '/keyId must be integer'],
    ['negative attempts', { ...completed, attempts: -1 }, '/attempts must be >= 0'],
    [
      'a repeat whose original has no task',
      { ...completed, duplicateOf: { requestId: 'req-1', newKeyId: null } },
      '/duplicateOf/newKeyId must be integer',
    ],
    ['a time without a zone', { ...completed, submittedAt: '2024-06-03 10:42:05' }, '/submittedAt must match format "date-time"'],
    ['an impossible date', { ...completed, submittedAt: '2024-02-30T10:42:05Z' }, '/submittedAt must match format "date-time"'],
    ['an untrimmed task name', { ...completed, taskName: ' June ' }, '/taskName must match pattern'],
    ['an empty correlationId', { ...completed, correlationId: '' }, '/correlationId must NOT have fewer than 1 characters'],
    ['not an object', [completed], '(root) must be object'],
  ])('refuses %s', (_case, event, problem) => {
    expect(validateCompletedEvent(event)).toContainEqual(expect.stringContaining(problem));
  });
});

describe('validateFailedEvent', () => {
  it.each<[string, ResendFailedEvent]>([
    ['a provider rejection', failed],
    ['a duplicate with its original', duplicate],
    ['a refused request without keyId or task name', refused],
    ['a refused request with a one-character task name', { ...refused, taskName: 'a' }],
    ['retries exhausted', { ...failed, error: { code: 'TIMEOUT', message: 'no answer', category: 'retries_exhausted' }, attempts: 8 }],
    ['an unknown outcome', { ...failed, error: { code: '-18', message: 'Port program unusual', category: 'outcome_unknown' } }],
    ['a repeat failed with its original', { ...failed, attempts: 0, duplicateOf: { requestId: 'req-1', newKeyId: null } }],
  ])('accepts %s', (_case, event) => {
    expect(validateFailedEvent(event)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown category',
      { ...failed, error: { ...failed.error, category: 'oops' } },
      '/error/category must be equal to one of the allowed values',
    ],
    [
      'an extra error field',
      { ...failed, error: { ...failed.error, retryable: false } },
      '/error must NOT have additional properties "retryable"',
    ],
    ['a missing keyId (null is fine, absent is not)', omit(failed, 'keyId'), "(root) must have required property 'keyId'"],
    ['a duplicate without duplicateOf', omit(duplicate, 'duplicateOf'), "(root) must have required property 'duplicateOf'"],
    ['a null keyId outside validation', { ...failed, keyId: null }, '/keyId must be integer'],
    ['a null task name outside validation', { ...failed, taskName: null }, '/taskName must be string'],
    ['negative attempts', { ...failed, attempts: -1 }, '/attempts must be >= 0'],
    ['a date without time', { ...failed, failedAt: '2024-06-03' }, '/failedAt must match format "date-time"'],
    ['a task name longer than 64', { ...refused, taskName: 'n'.repeat(65) }, '/taskName must NOT have more than 64 characters'],
  ])('refuses %s', (_case, event, problem) => {
    expect(validateFailedEvent(event)).toContainEqual(expect.stringContaining(problem));
  });
});

describe('validateRequestedEvent', () => {
  const request = { keyId: 123, taskName: 'June resend', resendType: 1, scriptId: 1 };

  it.each<[string, Record<string, unknown>]>([
    ['the minimal request', request],
    [
      'the provider example',
      {
        ...request,
        maxCalls: 40,
        displayNum: '1008122211',
        sendTime: null,
        maxRingingTime: 60,
        enableRecording: 1,
        allowSendTime: [{ strTime: '10:00', endTime: '22:00' }],
      },
    ],
    [
      'an ISO sendTime and unknown fields',
      { ...request, sendTime: '2024-06-03T10:42:05.5', note: 'free text', requestId: 'r-1', correlationId: '' },
    ],
    ['a task name with surrounding spaces', { ...request, taskName: '  ab  ' }],
  ])('accepts %s', (_case, value) => {
    expect(validateRequestedEvent(value)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a string keyId', { ...request, keyId: '123' }, '/keyId must be integer'],
    ['a task name of 1 character after trimming', { ...request, taskName: ' a ' }, '/taskName must match pattern'],
    ['a task name of 65 characters', { ...request, taskName: 'n'.repeat(65) }, '/taskName must match pattern'],
    ['a zoned sendTime', { ...request, sendTime: '2024-06-03T10:42:05Z' }, '/sendTime must match pattern'],
    [
      '4 windows',
      { ...request, allowSendTime: Array(4).fill({ strTime: '10:00', endTime: '11:00' }) },
      '/allowSendTime must NOT have more than 3 items',
    ],
    ['maxRingingTime 121', { ...request, maxRingingTime: 121 }, '/maxRingingTime must be <= 120'],
    ['a blank requestId', { ...request, requestId: '  ' }, '/requestId must match pattern'],
  ])('refuses %s', (_case, value, problem) => {
    expect(validateRequestedEvent(value)).toContainEqual(expect.stringContaining(problem));
  });

  it.each<[string, Record<string, unknown>]>([
    ['minimal', request],
    ['64-character name', { ...request, taskName: 'n'.repeat(64) }],
    ['65-character name', { ...request, taskName: 'n'.repeat(65) }],
    ['2-character name inside spaces', { ...request, taskName: ' ab ' }],
    ['1-character name', { ...request, taskName: 'a' }],
    ['emoji name', { ...request, taskName: '😀'.repeat(64) }],
    ['ISO without seconds', { ...request, sendTime: '2024-06-03T10:42' }],
    ['provider form without seconds', { ...request, sendTime: '2024-06-03 10:42' }],
    ['display number with +', { ...request, displayNum: '+12345' }],
    ['window 00:00-23:59', { ...request, allowSendTime: [{ strTime: '00:00', endTime: '23:59' }] }],
    ['window 24:00', { ...request, allowSendTime: [{ strTime: '24:00', endTime: '23:59' }] }],
  ])('agrees with parseResendRequest on the %s request', (_case, value) => {
    expect(validateRequestedEvent(value).length === 0).toBe(parseResendRequest(value).ok);
  });
});

function omit<T extends object>(value: T, key: keyof T & string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));
}
