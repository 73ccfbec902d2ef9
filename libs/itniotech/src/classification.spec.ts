import { describe, expect, it } from 'vitest';
import { CLASSIFICATION_TABLE } from './classification-table.js';
import { buildClassifier, classify, parseClassificationOverrides } from './classification.js';
import type { ProviderCallResult, TransportErrorCode } from './provider-call-result.js';

const metadata = { latencyMs: 5, timestamp: 1630468800 };

function rejected(providerStatus: string, reason = ''): ProviderCallResult {
  return { kind: 'rejected', httpStatus: 200, providerStatus, reason, ...metadata };
}

function httpError(httpStatus: number, bodyExcerpt = 'oops'): ProviderCallResult {
  return { kind: 'http_error', httpStatus, bodyExcerpt, ...metadata };
}

function transportError(errorCode: TransportErrorCode, outcomeUnknown: boolean): ProviderCallResult {
  return { kind: 'transport_error', errorCode, message: `${errorCode} happened`, outcomeUnknown, ...metadata };
}

describe('classify: provider status codes', () => {
  // Written out again on purpose: a change to the table must be a visible change here too.
  it.each([
    ['-1', 'final', 'normal'],
    ['-2', 'final', 'normal'],
    ['-10', 'final', 'normal'],
    ['-15', 'retry', 'normal'],
    ['-16', 'retry', 'normal'],
    ['-18', 'retry', 'normal'],
    ['-20', 'final', 'normal'],
    ['-21', 'final', 'normal'],
    ['-22', 'final', 'normal'],
    ['-23', 'final', 'normal'],
    ['-24', 'final', 'normal'],
    ['-26', 'final', 'normal'],
    ['-34', 'final', 'normal'],
    ['-37', 'retry', 'long'],
    ['-38', 'final', 'normal'],
    ['-39', 'final', 'normal'],
    ['-41', 'final', 'normal'],
    ['-42', 'final', 'normal'],
    ['-60', 'final', 'normal'],
    ['-999', 'final', 'normal'],
    ['7', 'final', 'normal'],
  ])('%s → %s (%s delay)', (code, decision, retryDelay) => {
    expect(classify(rejected(code, 'as given'))).toEqual({
      decision,
      retryDelay,
      outcomeUnknown: false,
      errorCode: code,
      message: 'as given',
    });
  });

  it('covers every provider code of the table in the table', () => {
    const codes = CLASSIFICATION_TABLE.map((entry) => entry.code);
    for (const code of [
      '0',
      '-1',
      '-2',
      '-10',
      '-15',
      '-16',
      '-18',
      '-20',
      '-21',
      '-22',
      '-23',
      '-24',
      '-26',
      '-34',
      '-37',
      '-38',
      '-39',
      '-41',
      '-42',
      '-60',
    ]) {
      expect(codes).toContain(code);
    }
  });

  it('uses the documented meaning when the provider gives no reason', () => {
    expect(classify(rejected('-41')).message).toBe('Task name already exists');
    expect(classify(rejected('-77')).message).toBe('Unknown provider status -77');
  });

  it('treats an acceptance as success', () => {
    const accepted: ProviderCallResult = {
      kind: 'accepted',
      taskId: 1,
      httpStatus: 200,
      providerStatus: '0',
      reason: 'success',
      ...metadata,
    };
    expect(classify(accepted)).toEqual({
      decision: 'success',
      retryDelay: 'normal',
      outcomeUnknown: false,
      errorCode: '0',
      message: 'success',
    });
  });
});

describe('classify: HTTP and network outcomes', () => {
  it.each([
    [httpError(500), 'retry', 'HTTP_500', true],
    [httpError(503), 'retry', 'HTTP_503', true],
    [httpError(504), 'retry', 'HTTP_504', true],
    [httpError(429), 'retry', 'HTTP_429', false],
    [httpError(400), 'final', 'HTTP_400', false],
    [httpError(404), 'final', 'HTTP_404', false],
    [httpError(302), 'final', 'HTTP_302', false],
    [httpError(200, 'not json'), 'final', 'BAD_RESPONSE', true],
    [transportError('TIMEOUT', true), 'retry', 'TIMEOUT', true],
    [transportError('TIMEOUT', false), 'retry', 'TIMEOUT', false],
    [transportError('CONNECTION_REFUSED', false), 'retry', 'CONNECTION_REFUSED', false],
    [transportError('CONNECTION_RESET', true), 'retry', 'CONNECTION_RESET', true],
    [transportError('NETWORK', false), 'retry', 'NETWORK', false],
  ])('%j → %s %s (outcome unknown: %s)', (result, decision, errorCode, outcomeUnknown) => {
    expect(classify(result)).toMatchObject({ decision, errorCode, outcomeUnknown, retryDelay: 'normal' });
  });

  it('quotes the body excerpt in the message', () => {
    expect(classify(httpError(502, 'Bad Gateway')).message).toBe('The provider answered HTTP 502: "Bad Gateway"');
  });
});

describe('buildClassifier with overrides', () => {
  it('replaces single codes and HTTP families', () => {
    const classifier = buildClassifier({ '-37': 'final', '-24': 'retry_long', HTTP_5xx: 'final', HTTP_503: 'retry' });
    expect(classifier(rejected('-37'))).toMatchObject({ decision: 'final' });
    expect(classifier(rejected('-24'))).toMatchObject({ decision: 'retry', retryDelay: 'long' });
    expect(classifier(httpError(500))).toMatchObject({ decision: 'final' });
    expect(classifier(httpError(503))).toMatchObject({ decision: 'retry' });
  });

  it('can make an unknown code retryable', () => {
    expect(buildClassifier({ '-99': 'retry' })(rejected('-99'))).toMatchObject({ decision: 'retry' });
  });

  it('does not change the default classifier', () => {
    buildClassifier({ '-1': 'retry' });
    expect(classify(rejected('-1')).decision).toBe('final');
  });

  it('refuses to override success', () => {
    expect(() => buildClassifier({ '0': 'retry' })).toThrow(/cannot be overridden/);
  });
});

describe('parseClassificationOverrides', () => {
  it.each([
    ['', {}],
    ['   ', {}],
    ['-37:retry_long,-24:final', { '-37': 'retry_long', '-24': 'final' }],
    [' -37 : retry_long , HTTP_5xx:final ', { '-37': 'retry_long', HTTP_5xx: 'final' }],
    ['{"-37":"retry_long","BAD_RESPONSE":"retry"}', { '-37': 'retry_long', BAD_RESPONSE: 'retry' }],
  ])('reads %j', (text, expected) => {
    expect(parseClassificationOverrides(text)).toEqual(expected);
  });

  it('reads nothing from undefined', () => {
    expect(parseClassificationOverrides(undefined)).toEqual({});
  });

  it.each([
    ['-37', /expected CODE:retry/],
    ['-37:later', /handling must be/],
    [':retry', /expected CODE:retry/],
    ['0:retry', /cannot be overridden/],
    ['{"-37":', /not valid JSON/],
    ['{"-37":1}', /handling must be/],
  ])('refuses %j', (text, error) => {
    expect(() => parseClassificationOverrides(text)).toThrow(error);
  });
});
