import { describe, expect, it } from 'vitest';
import { describeTimeout, describeTransportError } from './transport-error.js';

function errorWithCode(code: string): Error {
  return Object.assign(new Error(`${code} happened`), { code });
}

describe('describeTransportError', () => {
  it.each([
    ['ECONNREFUSED', false, 'CONNECTION_REFUSED', false],
    ['ENOTFOUND', false, 'NETWORK', false],
    ['EAI_AGAIN', false, 'NETWORK', false],
    ['ECONNRESET', true, 'CONNECTION_RESET', true],
    ['EPIPE', true, 'CONNECTION_RESET', true],
    ['ETIMEDOUT', false, 'TIMEOUT', false],
    ['EHOSTUNREACH', false, 'NETWORK', false],
    ['ESOMETHINGNEW', true, 'NETWORK', true],
    // The proxy's own failures come before the tunnel reached the provider, whatever `connected` says.
    ['EPROXY_UNREACHABLE', true, 'NETWORK', false],
    ['EPROXY_REFUSED', true, 'NETWORK', false],
    ['EPROXY_TIMEOUT', true, 'TIMEOUT', false],
  ])('%s (connected: %s) is %s, outcome unknown: %s', (code, connected, errorCode, outcomeUnknown) => {
    expect(describeTransportError(errorWithCode(code), connected)).toMatchObject({ kind: 'transport_error', errorCode, outcomeUnknown });
  });

  it('copes with errors that are not Error objects', () => {
    expect(describeTransportError('boom', true)).toMatchObject({ errorCode: 'NETWORK', outcomeUnknown: true });
  });
});

describe('describeTimeout', () => {
  it('is an unknown outcome only once connected', () => {
    expect(describeTimeout(500, true)).toMatchObject({ errorCode: 'TIMEOUT', outcomeUnknown: true });
    expect(describeTimeout(500, false)).toMatchObject({ errorCode: 'TIMEOUT', outcomeUnknown: false });
  });
});
