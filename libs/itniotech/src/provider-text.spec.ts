import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ItniotechClient } from './itniotech-client.js';
import { buildClassifier } from './classification.js';
import { storableText } from './provider-text.js';

const servers: http.Server[] = [];
const clients: ItniotechClient[] = [];

/** A real HTTP server on 127.0.0.1 answering every request with `body` (bytes as given). */
async function providerAnswering(body: string | Buffer): Promise<ItniotechClient> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
    response.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new ItniotechClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: 'key',
    apiSecret: 'secret',
    timeoutMs: 5_000,
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** What PostgreSQL refuses in text, json and jsonb: NUL, and a UTF-16 surrogate without its pair. */
function unstorable(value: unknown): boolean {
  const text = JSON.stringify(value);
  return /\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(text);
}

/** A reason as a provider might send it: JSON escapes for a NUL, a lone high and a lone low surrogate. */
const ESCAPED_REASON = String.raw`task busy\u0000 \ud83d and \ude00 but 😀 kept`;
const CLEANED_REASON = 'task busy\uFFFD \uFFFD and \uFFFD but 😀 kept';

describe('storableText', () => {
  it.each([
    ['a NUL', 'a\u0000b', 'a\uFFFDb'],
    ['a lone high surrogate', 'a\uD83Db', 'a\uFFFDb'],
    ['a lone low surrogate', 'a\uDE00b', 'a\uFFFDb'],
    ['a high surrogate at the end', 'ab\uD83D', 'ab\uFFFD'],
    ['two high surrogates, then a pair', '\uD83D\uD83D\uDE00', '\uFFFD😀'],
    ['a pair (an emoji), kept', 'a😀b', 'a😀b'],
    ['plain text, kept', 'Task name already exists', 'Task name already exists'],
  ])('%s', (_name, text, expected) => {
    expect(storableText(text)).toBe(expected);
  });
});

describe('ItniotechClient: provider text PostgreSQL cannot store is cleaned where it enters (docs/provider.md)', () => {
  it('a refusal whose reason carries a NUL and lone surrogates: the reason with U+FFFD in their place', async () => {
    const client = await providerAnswering(`{"status":"-42","reason":"${ESCAPED_REASON}"}`);
    const result = await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });
    expect(result).toMatchObject({ kind: 'rejected', providerStatus: '-42', reason: CLEANED_REASON });
    expect(unstorable(result)).toBe(false);
  });

  it('an acceptance whose reason (the msg form) carries them', async () => {
    const client = await providerAnswering(`{"code":0,"msg":"${ESCAPED_REASON}","data":4242}`);
    const result = await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });
    expect(result).toMatchObject({ kind: 'accepted', taskId: 4242, reason: CLEANED_REASON });
  });

  it('a body that is not an envelope, with raw NUL bytes: its excerpt', async () => {
    const client = await providerAnswering(Buffer.from('<html>\u0000broken\u0000</html>'));
    const result = await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });
    expect(result).toMatchObject({ kind: 'http_error', bodyExcerpt: '<html>\uFFFDbroken\uFFFD</html>' });
    expect(unstorable(result)).toBe(false);
  });

  it('an excerpt cut where an emoji would be cut in half: no lone surrogate in the result or its classification', async () => {
    // The excerpt keeps 200 characters, the classification's message 120 of them: each cut lands inside an emoji.
    const body = `${'a'.repeat(119)}😀${'b'.repeat(78)}😀 and more`;
    const client = await providerAnswering(body);
    const result = await client.resendAi({ keyId: 1, taskName: 'June resend', resendType: 1, scriptId: 7 });
    expect(result).toMatchObject({ kind: 'http_error', bodyExcerpt: `${'a'.repeat(119)}😀${'b'.repeat(78)}…` });
    const verdict = buildClassifier()(result);
    expect(verdict.message).toContain(`"${'a'.repeat(119)}"`);
    expect(unstorable(result)).toBe(false);
    expect(unstorable(verdict)).toBe(false);
  });

  it('a failing lookup (query and detail): its message', async () => {
    const client = await providerAnswering(`{"status":"-10","reason":"${ESCAPED_REASON}"}`);
    const range = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-02T00:00:00Z') };
    expect(await client.findTasksByName('June resend', range)).toEqual({ kind: 'failed', errorCode: '-10', message: CLEANED_REASON });
    expect(await client.getTaskDetail(7)).toEqual({ kind: 'failed', errorCode: '-10', message: CLEANED_REASON });
  });

  it('every string of the answer, however deep: the tasks a lookup reads', async () => {
    const record = String.raw`{"jobId":7,"taskName":"June resend","status":2,"createdTime":"2024-01-01 10:00:00\u0000\udfff"}`;
    const client = await providerAnswering(`{"status":"0","reason":"success","data":{"records":[${record}],"total":1}}`);
    const range = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-02T00:00:00Z') };
    const found = await client.findTasksByName('June resend', range);
    expect(found).toEqual({
      kind: 'found',
      tasks: [{ jobId: 7, taskName: 'June resend', status: 2, createdTime: '2024-01-01 10:00:00\uFFFD\uFFFD' }],
    });
  });
});
