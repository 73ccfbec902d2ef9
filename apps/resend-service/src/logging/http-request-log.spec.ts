import { describe, expect, it } from 'vitest';
import { holdsCredential, redactedTarget, redactHeaders, REDACTED } from './http-request-log.js';

describe('the HTTP request log redacts credentials', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'api-key',
    'Sign',
    'x-auth-token',
    'x-amz-security-token',
    'x-client-secret',
    'x-hub-signature-256',
    'x-session-id',
    'x-password',
  ])('%s holds a credential', (name) => {
    expect(holdsCredential(name)).toBe(true);
  });

  it.each([
    'host',
    'user-agent',
    'accept',
    'content-type',
    'content-length',
    'connection',
    'keep-alive',
    'traceparent',
    'x-forwarded-for',
    'x-request-id',
  ])('%s is kept', (name) => {
    expect(holdsCredential(name)).toBe(false);
  });

  it('keeps the path and the query parameter names, not their values', () => {
    expect(redactedTarget('/requests/r-1?token=s3cret&page=2&token=again&flag')).toEqual({
      url: `/requests/r-1?token=${REDACTED}&page=${REDACTED}&token=${REDACTED}&flag=${REDACTED}`,
      query: { token: REDACTED, page: REDACTED, flag: REDACTED },
    });
    expect(redactedTarget('/requests/r-1')).toEqual({ url: '/requests/r-1', query: {} });
    expect(redactedTarget('/requests?')).toEqual({ url: '/requests?', query: {} });
  });

  it('replaces the values of credential headers, every other header as sent', () => {
    expect(redactHeaders({ cookie: 'a=b', 'set-cookie': ['a=b', 'c=d'], accept: 'application/json' })).toEqual({
      cookie: REDACTED,
      'set-cookie': REDACTED,
      accept: 'application/json',
    });
  });
});
