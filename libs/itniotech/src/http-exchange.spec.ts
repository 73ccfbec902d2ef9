import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClassifier } from './classification.js';
import { HttpExchange } from './http-exchange.js';
import { ItniotechClient } from './itniotech-client.js';

const MIB = 1024 * 1024;
const servers: http.Server[] = [];
const closers: { close(): void }[] = [];

/** A real HTTP server on 127.0.0.1 (a free port), answering with `handler`. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const closer of closers.splice(0)) closer.close();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('HttpExchange: a provider answer over 1 MiB is cut (docs/security.md)', () => {
  it('ends the call with the first part of an endless body instead of reading it all', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      let open = true;
      response.on('close', () => (open = false));
      // Writes for as long as the client reads: without the cut, the call could only end at its deadline.
      const pump = (): void => {
        while (open && response.write(chunk));
        if (open) response.once('drain', pump);
      };
      pump();
    });
    const exchange = new HttpExchange();
    closers.push(exchange);
    // Without the cut the call would end at this deadline, as a TIMEOUT.
    const result = await exchange.send({ method: 'GET', url: new URL(url), headers: {}, timeoutMs: 3_000 });
    expect(result).toMatchObject({ kind: 'response', httpStatus: 200 });
    const bodyText = result.kind === 'response' ? result.bodyText : '';
    // Cut once past 1 MiB, within the chunk that went over.
    expect(bodyText.length).toBeGreaterThanOrEqual(MIB);
    expect(bodyText.length).toBeLessThanOrEqual(2 * MIB);
  });
});

describe('ItniotechClient: redirects are not followed (docs/provider.md)', () => {
  it('a 302 to another server sends nothing there and ends as HTTP_302, a final answer', async () => {
    let redirectedCalls = 0;
    const elsewhere = await serve((_request, response) => {
      redirectedCalls += 1;
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ status: 0, reason: 'success', data: 4242 }));
    });
    const provider = await serve((_request, response) => {
      response.writeHead(302, { Location: `${elsewhere}/voice/group/call/resend/ai` });
      response.end();
    });
    const client = new ItniotechClient({ baseUrl: provider, apiKey: 'key', apiSecret: 'secret', timeoutMs: 5_000 });
    closers.push(client);

    const result = await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });

    expect(redirectedCalls).toBe(0);
    expect(result).toMatchObject({ kind: 'http_error', httpStatus: 302 });
    expect(buildClassifier()(result)).toMatchObject({ decision: 'final', errorCode: 'HTTP_302' });
  });
});
