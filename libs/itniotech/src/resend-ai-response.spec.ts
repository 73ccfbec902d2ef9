import { describe, expect, it } from 'vitest';
import { interpretResendAiAnswer } from './resend-ai-response.js';

const metadata = { latencyMs: 12, timestamp: 1630468800 };

function answer(httpStatus: number, bodyText: string) {
  return interpretResendAiAnswer({ kind: 'response', httpStatus, bodyText }, metadata);
}

describe('interpretResendAiAnswer', () => {
  it('accepts the documented success with the new task id', () => {
    expect(answer(200, '{"status":"0","reason":"success","data":123123}')).toEqual({
      kind: 'accepted',
      taskId: 123123,
      httpStatus: 200,
      providerStatus: '0',
      reason: 'success',
      ...metadata,
    });
  });

  it('accepts the code/msg variant with a string id', () => {
    expect(answer(200, '{"code":0,"msg":"ok","data":"77"}')).toMatchObject({ kind: 'accepted', taskId: 77 });
  });

  it.each([
    ['{"status":"-41","reason":"Task name already exists"}', '-41', 'Task name already exists'],
    ['{"code":-16,"msg":"Timestamp expires"}', '-16', 'Timestamp expires'],
    ['{"status":"-999","reason":"Something new"}', '-999', 'Something new'],
  ])('rejects %s', (body, providerStatus, reason) => {
    expect(answer(200, body)).toEqual({ kind: 'rejected', httpStatus: 200, providerStatus, reason, ...metadata });
  });

  it.each([
    ['a 503 page', 503, '<html>Service Unavailable</html>'],
    ['a 404 even with an envelope', 404, '{"status":"0","data":1}'],
    ['a 200 with garbage', 200, 'OK'],
    ['a 200 success without a task id', 200, '{"status":"0","reason":"success","data":null}'],
    ['a 200 with an empty body', 200, ''],
  ])('reports %s as an HTTP error', (_name, httpStatus, body) => {
    expect(answer(httpStatus, body)).toEqual({ kind: 'http_error', httpStatus, bodyExcerpt: body, ...metadata });
  });

  it('keeps the body excerpt short and on one line', () => {
    const result = answer(502, `line one\n${'x'.repeat(1000)}`);
    expect(result.kind === 'http_error' && result.bodyExcerpt.length).toBeLessThanOrEqual(201);
    expect(result.kind === 'http_error' && result.bodyExcerpt.startsWith('line one x')).toBe(true);
  });

  it('passes transport failures through with the attempt metadata', () => {
    const failure = { kind: 'transport_error', errorCode: 'TIMEOUT', message: 'late', outcomeUnknown: true } as const;
    expect(interpretResendAiAnswer(failure, metadata)).toEqual({ ...failure, ...metadata });
  });
});
