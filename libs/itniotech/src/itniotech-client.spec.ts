import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ItniotechClient } from './itniotech-client.js';

const servers: http.Server[] = [];
const clients: ItniotechClient[] = [];

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
