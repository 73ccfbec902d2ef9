import { describe, expect, it } from 'vitest';
import { parseResendRequest, type ParsedResendRequest } from './parse-resend-request.js';

const minimal = { keyId: 123, taskName: 'June resend', resendType: 1, scriptId: 7 };

function parse(patch: Record<string, unknown>): ParsedResendRequest {
  return parseResendRequest({ ...minimal, ...patch });
}

function issuesOf(result: ParsedResendRequest) {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.body)}`);
  return result.issues;
}

function bodyOf(result: ParsedResendRequest) {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.issues)}`);
  return result.body;
}

const taskNameOf = (length: number) => 'x'.repeat(length);

describe('parseResendRequest: refused values, one clear message naming the field', () => {
  // A table: one line per case.
  // prettier-ignore
  it.each<[string, Record<string, unknown>, string, string]>([
    // [case, patch, field, message]
    ['keyId missing', { keyId: undefined }, 'keyId', 'is required'],
    ['keyId as a numeric string', { keyId: '123' }, 'keyId', 'must be a positive integer (got the string "123")'],
    ['keyId zero', { keyId: 0 }, 'keyId', 'must be a positive integer (got 0)'],
    ['keyId negative', { keyId: -5 }, 'keyId', 'must be a positive integer (got -5)'],
    ['keyId fractional', { keyId: 1.5 }, 'keyId', 'must be a positive integer (got 1.5)'],
    ['keyId beyond safe integers', { keyId: 2 ** 53 }, 'keyId', 'must be a positive integer (got 9007199254740992)'],
    ['keyId null', { keyId: null }, 'keyId', 'must be a positive integer (got null)'],
    ['keyId boolean', { keyId: true }, 'keyId', 'must be a positive integer (got true)'],
    ['taskName missing', { taskName: undefined }, 'taskName', 'is required'],
    ['taskName a number', { taskName: 42 }, 'taskName', 'must be 2 to 64 characters after trimming spaces (got 42)'],
    ['taskName 1 character after trimming', { taskName: '  a  ' }, 'taskName', 'must be 2 to 64 characters after trimming spaces (got 1)'],
    ['taskName only spaces', { taskName: '     ' }, 'taskName', 'must be 2 to 64 characters after trimming spaces (got 0)'],
    ['taskName 65 characters', { taskName: taskNameOf(65) }, 'taskName', 'must be 2 to 64 characters after trimming spaces (got 65)'],
    ['resendType missing', { resendType: undefined }, 'resendType', 'is required'],
    ['resendType 2', { resendType: 2 }, 'resendType', 'must be 0 or 1 (got 2)'],
    ['resendType "1"', { resendType: '1' }, 'resendType', 'must be 0 or 1 (got the string "1")'],
    ['scriptId missing', { scriptId: undefined }, 'scriptId', 'is required'],
    ['scriptId zero', { scriptId: 0 }, 'scriptId', 'must be a positive integer (got 0)'],
    ['displayNum with a dash', { displayNum: '100-812' }, 'displayNum', 'must be 1 to 20 digits, optionally after a leading +'],
    ['displayNum 21 digits', { displayNum: '1'.repeat(21) }, 'displayNum', 'must be 1 to 20 digits, optionally after a leading +'],
    ['displayNum empty', { displayNum: '' }, 'displayNum', 'must be 1 to 20 digits, optionally after a leading +'],
    ['displayNum a number', { displayNum: 1008122211 }, 'displayNum', 'must be 1 to 20 digits, optionally after a leading + (got 1008122211)'],
    ['sendTime wrong format', { sendTime: '03/06/2024 10:42' }, 'sendTime', 'must be a local date-time "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-ddTHH:mm:ss", or null for "now"'],
    ['sendTime without seconds (provider form)', { sendTime: '2024-06-03 10:42' }, 'sendTime', 'must be a local date-time'],
    ['sendTime in UTC', { sendTime: '2024-06-03T10:42:05Z' }, 'sendTime', 'must be a local time without a zone: drop the "Z" or offset'],
    ['sendTime with an offset', { sendTime: '2024-06-03T10:42:05+02:00' }, 'sendTime', 'must be a local time without a zone'],
    ['sendTime on 30 February', { sendTime: '2024-02-30 10:00:00' }, 'sendTime', '2024-02-30 10:00:00 is not a real date and time'],
    ['sendTime on 29 February of a common year', { sendTime: '2023-02-29 10:00:00' }, 'sendTime', '2023-02-29 10:00:00 is not a real date and time'],
    ['sendTime at 25 o\'clock', { sendTime: '2024-06-03 25:00:00' }, 'sendTime', 'is not a real date and time'],
    ['sendTime a Unix time', { sendTime: 1717404125 }, 'sendTime', 'or null for "now" (got 1717404125)'],
    ['maxCalls zero', { maxCalls: 0 }, 'maxCalls', 'must be a positive integer (got 0)'],
    ['maxCalls fractional', { maxCalls: 2.5 }, 'maxCalls', 'must be a positive integer (got 2.5)'],
    ['allowSendTime not a list', { allowSendTime: { strTime: '10:00', endTime: '12:00' } }, 'allowSendTime', 'must be a list of time windows'],
    ['allowSendTime empty', { allowSendTime: [] }, 'allowSendTime', 'must hold at least 1 window (leave allowSendTime out to allow calls at any time)'],
    ['allowSendTime with 4 windows', { allowSendTime: [w('01:00', '02:00'), w('03:00', '04:00'), w('05:00', '06:00'), w('07:00', '08:00')] }, 'allowSendTime', 'must hold at most 3 windows (got 4)'],
    ['a window that is not an object', { allowSendTime: ['10:00-12:00'] }, 'allowSendTime[0]', 'must be an object {"strTime": "HH:mm", "endTime": "HH:mm"} (got a string)'],
    ['a window without endTime', { allowSendTime: [{ strTime: '10:00' }] }, 'allowSendTime[0].endTime', 'is required'],
    ['strTime 24:00', { allowSendTime: [w('24:00', '23:59')] }, 'allowSendTime[0].strTime', 'must be a time of day "HH:mm" from 00:00 to 23:59'],
    ['endTime with seconds', { allowSendTime: [w('10:00', '12:00:00')] }, 'allowSendTime[0].endTime', 'must be a time of day "HH:mm"'],
    ['endTime without a leading zero', { allowSendTime: [w('9:00', '12:00')] }, 'allowSendTime[0].strTime', 'must be a time of day "HH:mm"'],
    ['endTime before strTime', { allowSendTime: [w('08:00', '09:00'), w('12:00', '10:00')] }, 'allowSendTime[1].endTime', 'must be later than strTime (12:00)'],
    ['endTime equal to strTime', { allowSendTime: [w('10:00', '10:00')] }, 'allowSendTime[0].endTime', 'must be later than strTime (10:00)'],
    ['overlapping windows', { allowSendTime: [w('10:00', '12:00'), w('11:30', '13:00')] }, 'allowSendTime[1]', 'overlaps allowSendTime[0] (10:00-12:00)'],
    ['maxRingingTime 19', { maxRingingTime: 19 }, 'maxRingingTime', 'must be an integer from 20 to 120 (got 19)'],
    ['maxRingingTime 121', { maxRingingTime: 121 }, 'maxRingingTime', 'must be an integer from 20 to 120 (got 121)'],
    ['maxRingingTime "60"', { maxRingingTime: '60' }, 'maxRingingTime', 'must be an integer from 20 to 120 (got the string "60")'],
    ['enableRecording true', { enableRecording: true }, 'enableRecording', 'must be 0 or 1 (got true)'],
    ['enableRecording 2', { enableRecording: 2 }, 'enableRecording', 'must be 0 or 1 (got 2)'],
    ['calloutRate zero', { calloutRate: 0 }, 'calloutRate', 'must be a positive integer (got 0)'],
    ['requestId empty', { requestId: '' }, 'requestId', 'must be a non-blank string of at most 200 characters'],
    ['requestId blank', { requestId: '   ' }, 'requestId', 'must be a non-blank string of at most 200 characters'],
    ['requestId 201 characters', { requestId: 'r'.repeat(201) }, 'requestId', 'must be a non-blank string of at most 200 characters'],
    ['requestId a number', { requestId: 42 }, 'requestId', 'must be a non-blank string of at most 200 characters (got 42)'],
    ['correlationId 201 characters', { correlationId: 'c'.repeat(201) }, 'correlationId', 'must be a string of at most 200 characters'],
    ['correlationId an object', { correlationId: { id: 1 } }, 'correlationId', 'must be a string of at most 200 characters (got an object)'],
  ])('%s', (_case, patch, field, message) => {
    const issues = issuesOf(parse(patch));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe(field);
    expect(issues[0]!.message).toContain(message);
  });
});

describe('parseResendRequest: accepted edge cases', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    // [case, patch, expected part of the body]
    ['keyId 1', { keyId: 1 }, { keyId: 1 }],
    ['keyId the largest safe integer', { keyId: Number.MAX_SAFE_INTEGER }, { keyId: Number.MAX_SAFE_INTEGER }],
    ['taskName of exactly 2 characters after trimming', { taskName: '  ab  ' }, { taskName: 'ab' }],
    ['taskName of exactly 64 characters', { taskName: taskNameOf(64) }, { taskName: taskNameOf(64) }],
    ['taskName of 64 characters inside spaces', { taskName: ` ${taskNameOf(64)}\t` }, { taskName: taskNameOf(64) }],
    ['taskName of 64 emoji (characters, not UTF-16 units)', { taskName: '😀'.repeat(64) }, { taskName: '😀'.repeat(64) }],
    ['resendType 0', { resendType: 0 }, { resendType: 0 }],
    ['displayNum with a leading +', { displayNum: '+8613800000000' }, { displayNum: '+8613800000000' }],
    ['displayNum of 20 digits', { displayNum: '1'.repeat(20) }, { displayNum: '1'.repeat(20) }],
    ['sendTime null (now)', { sendTime: null }, { sendTime: null }],
    ['sendTime in the provider format', { sendTime: '2024-06-03 10:42:05' }, { sendTime: '2024-06-03 10:42:05' }],
    ['sendTime on a leap day', { sendTime: '2024-02-29 23:59:59' }, { sendTime: '2024-02-29 23:59:59' }],
    ['sendTime at midnight', { sendTime: '2024-06-03 00:00:00' }, { sendTime: '2024-06-03 00:00:00' }],
    ['sendTime as ISO local date-time', { sendTime: '2024-06-03T10:42:05' }, { sendTime: '2024-06-03 10:42:05' }],
    ['sendTime as ISO without seconds', { sendTime: '2024-06-03T10:42' }, { sendTime: '2024-06-03 10:42:00' }],
    ['sendTime as ISO with a fraction (dropped)', { sendTime: '2024-12-31T23:59:59.999' }, { sendTime: '2024-12-31 23:59:59' }],
    [
      'sendTime in the past (the provider decides what it does with it)',
      { sendTime: '2001-01-01 00:00:00' },
      { sendTime: '2001-01-01 00:00:00' },
    ],
    [
      'maxRingingTime written 60.0 (the JSON number 60)',
      JSON.parse('{"maxRingingTime": 60.0}') as Record<string, unknown>,
      { maxRingingTime: 60 },
    ],
    ['maxCalls 1', { maxCalls: 1 }, { maxCalls: 1 }],
    ['maxRingingTime 20', { maxRingingTime: 20 }, { maxRingingTime: 20 }],
    ['maxRingingTime 120', { maxRingingTime: 120 }, { maxRingingTime: 120 }],
    ['enableRecording 0', { enableRecording: 0 }, { enableRecording: 0 }],
    ['enableRecording 1', { enableRecording: 1 }, { enableRecording: 1 }],
    ['calloutRate 1', { calloutRate: 1 }, { calloutRate: 1 }],
    ['one window covering the whole day', { allowSendTime: [w('00:00', '23:59')] }, { allowSendTime: [w('00:00', '23:59')] }],
    [
      'exactly 3 windows, touching, in any order',
      { allowSendTime: [w('14:00', '18:00'), w('08:00', '12:00'), w('12:00', '14:00')] },
      { allowSendTime: [w('14:00', '18:00'), w('08:00', '12:00'), w('12:00', '14:00')] },
    ],
    [
      'unknown fields in a window dropped',
      { allowSendTime: [{ ...w('10:00', '12:00'), note: 'x' }] },
      { allowSendTime: [w('10:00', '12:00')] },
    ],
  ])('%s', (_case, patch, expected) => {
    expect(bodyOf(parse(patch))).toMatchObject(expected);
  });

  it('keeps a full request as the provider body, in the provider field names', () => {
    const full = {
      keyId: 123,
      taskName: '2024-06-03 10:42:05',
      maxCalls: 40,
      displayNum: '1008122211',
      sendTime: null,
      resendType: 1,
      scriptId: 1,
      maxRingingTime: 60,
      enableRecording: 1,
      calloutRate: 2,
      allowSendTime: [w('10:00', '22:00')],
    };
    expect(parseResendRequest(full)).toEqual({ ok: true, body: full, requestId: null, correlationId: null });
  });

  it('leaves absent optional fields absent, with no defaults injected', () => {
    const body = bodyOf(parseResendRequest(minimal));
    expect(body).toEqual(minimal);
    expect(Object.keys(body).sort()).toEqual(['keyId', 'resendType', 'scriptId', 'taskName']);
  });

  it('drops optional keys whose value is undefined (only possible from code, not JSON)', () => {
    expect(Object.keys(bodyOf(parse({ maxCalls: undefined, sendTime: undefined })))).not.toContain('maxCalls');
  });

  it('ignores unknown fields and keeps requestId and correlationId out of the body', () => {
    const result = parse({ priority: 'high', requestId: 'req-1', correlationId: 'corr-1' });
    expect(result).toEqual({ ok: true, body: minimal, requestId: 'req-1', correlationId: 'corr-1' });
  });

  it.each([
    ['null requestId and correlationId', { requestId: null, correlationId: null }],
    ['an empty correlationId', { correlationId: '' }],
  ])('reports %s as none', (_case, patch) => {
    expect(parse(patch)).toMatchObject({ ok: true, requestId: null, correlationId: null });
  });

  it('accepts a requestId of exactly 200 characters', () => {
    expect(parse({ requestId: 'r'.repeat(200) })).toMatchObject({ ok: true, requestId: 'r'.repeat(200) });
  });

  it('keeps a requestId exactly as sent, spaces around it included (not trimmed)', () => {
    expect(parse({ requestId: '  req 1\t ' })).toMatchObject({ ok: true, requestId: '  req 1\t ' });
  });

  it('keeps the requestId of a refused request exactly as sent too', () => {
    expect(parse({ keyId: 0, requestId: ' req-2 ' })).toMatchObject({ ok: false, requestId: ' req-2 ' });
  });
});

describe('parseResendRequest: several problems at once', () => {
  it('lists every problem, one per field, in field order', () => {
    const result = parseResendRequest({ keyId: '123', taskName: 'a', resendType: 1, maxRingingTime: 500 });
    expect(issuesOf(result).map((issue) => issue.field)).toEqual(['keyId', 'taskName', 'scriptId', 'maxRingingTime']);
  });

  it('still reports usable ids and the trimmed task name of a refused request', () => {
    const result = parseResendRequest({
      keyId: 77,
      taskName: `   ${'n'.repeat(100)}`,
      resendType: 9,
      scriptId: 1,
      requestId: 'req-9',
      correlationId: 'corr-9',
    });
    expect(result).toMatchObject({ ok: false, keyId: 77, taskName: 'n'.repeat(64), requestId: 'req-9', correlationId: 'corr-9' });
  });

  it('reports null for ids and names that are themselves unusable', () => {
    const result = parseResendRequest({ keyId: '77', taskName: 5, requestId: ' ', correlationId: 'c'.repeat(201) });
    expect(result).toMatchObject({ ok: false, keyId: null, taskName: null, requestId: null, correlationId: null });
  });

  it('never ends a reported task name with a space where the cut fell', () => {
    const result = parseResendRequest({ keyId: 1, taskName: `${'a'.repeat(63)} ${'b'.repeat(10)}` });
    expect(result).toMatchObject({ ok: false, taskName: 'a'.repeat(63) });
  });
});

describe('parseResendRequest: values that are not a request object', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'must be a JSON object (got null)'],
    ['an array', [minimal], 'must be a JSON object (got a list)'],
    ['a string', JSON.stringify(minimal), 'must be a JSON object (got a string)'],
    ['a number', 42, 'must be a JSON object (got 42)'],
    ['a boolean', false, 'must be a JSON object (got false)'],
    ['undefined', undefined, 'must be a JSON object (got undefined)'],
  ])('refuses %s as a whole', (_case, value, message) => {
    expect(parseResendRequest(value)).toEqual({
      ok: false,
      issues: [{ field: '(message)', message }],
      keyId: null,
      taskName: null,
      requestId: null,
      correlationId: null,
    });
  });

  it('refuses an empty object with every required field', () => {
    expect(issuesOf(parseResendRequest({}))).toEqual([
      { field: 'keyId', message: 'is required' },
      { field: 'taskName', message: 'is required' },
      { field: 'resendType', message: 'is required' },
      { field: 'scriptId', message: 'is required' },
    ]);
  });
});

describe('parseResendRequest: hostile input', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('ignores a "%s" key and pollutes nothing', (key) => {
    const value: unknown = JSON.parse(`{"keyId":1,"taskName":"ab","resendType":0,"scriptId":1,"${key}":{"polluted":true,"keyId":999}}`);
    const result = parseResendRequest(value);
    expect(result).toEqual({
      ok: true,
      body: { keyId: 1, taskName: 'ab', resendType: 0, scriptId: 1 },
      requestId: null,
      correlationId: null,
    });
    expect(Object.getPrototypeOf(bodyOf(result))).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not read a polluted allowSendTime window', () => {
    const value: unknown = JSON.parse(
      '{"keyId":1,"taskName":"ab","resendType":0,"scriptId":1,"allowSendTime":[{"__proto__":{"strTime":"10:00","endTime":"11:00"}}]}',
    );
    expect(issuesOf(parseResendRequest(value)).map((issue) => issue.field)).toEqual([
      'allowSendTime[0].strTime',
      'allowSendTime[0].endTime',
    ]);
  });

  it('survives a deeply nested value without recursing into it', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 100_000; level++) deep = { next: deep };
    expect(parse({ keyId: deep, extra: deep })).toMatchObject({ ok: false, keyId: null });
  });

  it('survives a huge string without echoing it back', () => {
    const huge = 'x'.repeat(5_000_000);
    const result = parse({ taskName: huge, displayNum: huge, sendTime: huge, requestId: huge });
    expect(describeLength(result)).toBeLessThan(1_000);
    expect(result).toMatchObject({ ok: false, taskName: 'x'.repeat(64), requestId: null });
  });

  it('turns a throwing getter into a refusal instead of an exception', () => {
    const hostile = Object.defineProperty({ ...minimal }, 'keyId', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(parseResendRequest(hostile)).toMatchObject({
      ok: false,
      issues: [{ field: '(message)', message: 'could not be read as a resend request' }],
    });
  });
});

function w(strTime: string, endTime: string) {
  return { strTime, endTime };
}

function describeLength(result: ParsedResendRequest): number {
  return JSON.stringify(result.ok ? result : result.issues).length;
}
