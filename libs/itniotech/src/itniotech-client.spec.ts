import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClassifier } from './classification.js';
import { ItniotechClient } from './itniotech-client.js';

const servers: http.Server[] = [];
const clients: ItniotechClient[] = [];

/** A real HTTP server on 127.0.0.1 (a free port), answering with `handler`. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A real HTTP server on 127.0.0.1 that notes each request's method and path, and answers "not found". */
async function recordingProvider(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ status: '-24', reason: 'Data unexisting' }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('ItniotechClient: the base URL (ITNIOTECH_BASE_URL, docs/provider.md)', () => {
  it.each(['/gateway/itniotech', '/gateway/itniotech/'])('keeps a path prefix of the base URL (%s) for every endpoint', async (prefix) => {
    const provider = await recordingProvider();
    const client = new ItniotechClient({ baseUrl: `${provider.url}${prefix}`, apiKey: 'key', apiSecret: 'secret', timeoutMs: 5_000 });
    clients.push(client);

    await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });
    await client.findTasksByName('June resend', { from: new Date('2026-12-07T00:00:00Z'), to: new Date('2026-12-07T01:00:00Z') });
    await client.getTaskDetail(42);

    expect(provider.requests).toEqual([
      'POST /gateway/itniotech/voice/group/call/resend/ai',
      'POST /gateway/itniotech/voice/group/call/query',
      'GET /gateway/itniotech/voice/group/call/detail/42',
    ]);
  });
});

describe('ItniotechClient: an http:// provider behind HTTP_PROXY (docs/security.md, outbound proxy)', () => {
  /** The proxy forwards the request itself: what it answers, or how it fails, once connected, is all the client sees. */
  async function clientBehind(proxy: http.RequestListener) {
    const proxyUrl = await serve(proxy);
    const client = new ItniotechClient({
      baseUrl: 'http://provider.invalid:8090',
      apiKey: 'key',
      apiSecret: 'secret',
      timeoutMs: 5_000,
      proxy: { httpProxy: proxyUrl, httpsProxy: null, noProxy: '' },
    });
    clients.push(client);
    return client;
  }
  const body = { keyId: 1, taskName: 'June resend', resendType: 1 as const, scriptId: 7 };

  it.each([502, 504])(
    'reads an error page the proxy answers (%i) like the provider’s own HTTP error: retried, the outcome unknown',
    async (status) => {
      const client = await clientBehind((request, response) => {
        request.resume();
        response.writeHead(status, { 'Content-Type': 'text/html' });
        response.end(`<html><body>${status} from the proxy</body></html>`);
      });
      const result = await client.resendAi(body);
      expect(result).toMatchObject({ kind: 'http_error', httpStatus: status });
      expect(buildClassifier()(result)).toMatchObject({ decision: 'retry', errorCode: `HTTP_${status}`, outcomeUnknown: true });
    },
  );

  it('takes a connection the proxy drops after accepting the request for a call that may have been sent', async () => {
    const client = await clientBehind((request) => request.socket.destroy());
    const result = await client.resendAi(body);
    expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'CONNECTION_RESET', outcomeUnknown: true });
  });
});

describe('ItniotechClient.findTasksByName: a record it cannot read (docs/provider.md, Looking tasks up)', () => {
  const range = { from: new Date('2026-12-07T00:00:00Z'), to: new Date('2026-12-07T01:00:00Z') };
  const complete = { jobId: 100000, taskName: 'June resend', status: 0, createdTime: '2026-12-07 00:30:00' };

  it.each([
    ['without a jobId', { ...complete, jobId: undefined }],
    ['without a taskName', { ...complete, taskName: undefined }],
    ['without a status', { ...complete, status: undefined }],
  ])('makes the lookup failed, BAD_RESPONSE, for a record %s: never "not found"', async (_case, record) => {
    const provider = await serve((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ status: '0', reason: 'success', data: { records: [record], total: 1, current: 1, size: 20 } }));
    });
    const client = new ItniotechClient({ baseUrl: provider, apiKey: 'key', apiSecret: 'secret', timeoutMs: 5_000 });
    clients.push(client);
    expect(await client.findTasksByName('June resend', range)).toMatchObject({ kind: 'failed', errorCode: 'BAD_RESPONSE' });
  });
});

describe('ItniotechClient: an absent task (docs/provider.md, ambiguities: -24 or an empty data)', () => {
  /** A provider that answers every call with `envelope`. */
  async function clientAnswering(envelope: object) {
    const provider = await serve((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(envelope));
    });
    const client = new ItniotechClient({ baseUrl: provider, apiKey: 'key', apiSecret: 'secret', timeoutMs: 5_000 });
    clients.push(client);
    return client;
  }
  const range = { from: new Date('2026-12-07T00:00:00Z'), to: new Date('2026-12-07T01:00:00Z') };

  it.each([
    ['-24', { status: '-24', reason: 'Data unexisting' }],
    ['data: null', { status: '0', reason: 'success', data: null }],
  ])('a detail answered %s is not_found', async (_case, envelope) => {
    expect(await (await clientAnswering(envelope)).getTaskDetail(42)).toEqual({ kind: 'not_found' });
  });

  it('a query answered -24 is not_found', async () => {
    expect(await (await clientAnswering({ status: '-24', reason: 'Data unexisting' })).findTasksByName('June resend', range)).toEqual({
      kind: 'not_found',
    });
  });
});
