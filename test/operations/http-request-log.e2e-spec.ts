import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useServiceProcesses } from '../support/service-processes.js';

const TOKEN = `e2e-operator-${randomUUID()}`;

/** Credentials sent where they do not belong; none may reach the log (docs/security.md). */
const SECRETS = {
  query: 'qu3ry-s3cret',
  otherQuery: 'second-qu3ry-value',
  cookie: 'c00kie-s3cret',
  proxyAuthorization: 'pr0xy-s3cret',
  apiKey: 'api-k3y-s3cret',
  customToken: 'cust0m-t0ken-s3cret',
  signature: 'sign4ture-s3cret',
};

/**
 * The HTTP request log of the real service process: a request is logged (method, path, status,
 * the names of its query parameters and headers), but no credential in it — not the bearer
 * token, nor one sent in the query string, a cookie, or a header that names a key, token,
 * secret, signature or authorisation.
 */
describe('HTTP request log', () => {
  const parts = useServiceProcesses();

  it('logs the request with its credentials redacted: query values, cookie, proxy-authorization, x-api-key, *token*, *sign*', async () => {
    const service = await parts.start('request-log', { OPERATOR_API_TOKENS: TOKEN });
    const requestId = `log-${randomUUID()}`;
    const response = await fetch(`${service.url}/requests/${requestId}?token=${SECRETS.query}&page=${SECRETS.otherQuery}`, {
      headers: {
        authorization: `Bearer ${TOKEN}`,
        cookie: `session=${SECRETS.cookie}`,
        'proxy-authorization': `Basic ${SECRETS.proxyAuthorization}`,
        'x-api-key': SECRETS.apiKey,
        'x-custom-token': SECRETS.customToken,
        'x-request-signature': SECRETS.signature,
        'x-trace-note': 'kept as sent',
      },
    });
    expect(response.status).toBe(404);

    const [line] = await service.waitForOutput(new RegExp(`^.*"url":"/requests/${requestId}[^"]*".*$`, 'm'));
    const logged = JSON.parse(line) as {
      req: { method: string; url: string; query: object; headers: Record<string, string> };
      res: object;
    };
    expect(logged.req).toMatchObject({
      method: 'GET',
      url: `/requests/${requestId}?token=[Redacted]&page=[Redacted]`,
      query: { token: '[Redacted]', page: '[Redacted]' },
    });
    expect(logged.req.headers).toMatchObject({
      authorization: '[Redacted]',
      cookie: '[Redacted]',
      'proxy-authorization': '[Redacted]',
      'x-api-key': '[Redacted]',
      'x-custom-token': '[Redacted]',
      'x-request-signature': '[Redacted]',
      'x-trace-note': 'kept as sent',
    });
    expect(logged.res).toMatchObject({ statusCode: 404 });
    for (const secret of [TOKEN, ...Object.values(SECRETS)]) expect(service.log).not.toContain(secret);
  });
});
