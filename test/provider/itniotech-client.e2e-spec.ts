import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classify, ItniotechClient, type ItniotechClientOptions, type ProviderCallResult, type ResendAiRequest } from '#itniotech';
import { createSimulatorApp } from '../../apps/itniotech-simulator/src/create-simulator-app.js';
import { SimulatorControl } from '../../apps/itniotech-simulator/src/simulator-control.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The real client against the real simulator, over HTTP on 127.0.0.1: every outcome the
 * client must tell apart, and what the provider side holds afterwards.
 */
const API_KEY = 'client-e2e-key';
const API_SECRET = 'client-e2e-secret';
const RESEND_PATH = '/voice/group/call/resend/ai';

let app: INestApplication;
let baseUrl: string;
let simulator: SimulatorControl;
const clients: ItniotechClient[] = [];

function clientWith(options: Partial<ItniotechClientOptions> = {}): ItniotechClient {
  const client = new ItniotechClient({ baseUrl, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2_000, ...options });
  clients.push(client);
  return client;
}

function resendBody(taskName: string, overrides: Partial<ResendAiRequest> = {}): ResendAiRequest {
  return {
    keyId: 4242,
    taskName,
    resendType: 1,
    scriptId: 7,
    maxRingingTime: 60,
    allowSendTime: [{ strTime: '10:00', endTime: '22:00' }],
    ...overrides,
  };
}

/** A window that surely contains "now", whatever the rounding to seconds. */
function aroundNow(): { from: Date; to: Date } {
  return { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) };
}

function expectNoSecrets(result: unknown): void {
  expect(JSON.stringify(result)).not.toContain(API_SECRET);
}

beforeAll(async () => {
  app = await createSimulatorApp({ apiKey: API_KEY, apiSecret: API_SECRET, logCalls: false }, { logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  simulator = new SimulatorControl(baseUrl);
});

beforeEach(async () => {
  await simulator.reset();
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await simulator?.release();
  await app?.close();
});

describe('ItniotechClient against the simulator', () => {
  it('creates a task: accepted with its id, and the simulator holds exactly that body, signed', async () => {
    const body = resendBody('accepted-task');
    const result = await clientWith().resendAi(body);

    expect(result).toMatchObject({ kind: 'accepted', taskId: 100_000, httpStatus: 200, providerStatus: '0', reason: 'success' });
    expect(classify(result)).toMatchObject({ decision: 'success' });
    const ledger = await simulator.ledger();
    expect(ledger.tasks).toHaveLength(1);
    expect(ledger.tasks[0]).toMatchObject({
      taskId: 100_000,
      keyId: 4242,
      taskName: 'accepted-task',
      body,
      signatureValid: true,
      headers: { apiKey: API_KEY, timestamp: String(result.timestamp) },
    });
    expect(ledger.calls).toMatchObject({ total: 1, byStatus: { '0': 1 } });
  });

  it('signs every attempt with a fresh timestamp from its clock', async () => {
    let now = Date.now();
    const client = clientWith({ clock: () => now });
    const first = await client.resendAi(resendBody('fresh-1'));
    now += 5_000;
    const second = await client.resendAi(resendBody('fresh-2'));
    expect(second.timestamp - first.timestamp).toBe(5);
  });

  it('answers -1 for a wrong secret, and the secret never shows', async () => {
    const result = await clientWith({ apiSecret: 'not-the-secret' }).resendAi(resendBody('bad-secret'));
    expect(result).toMatchObject({ kind: 'rejected', httpStatus: 200, providerStatus: '-1', reason: 'Authentication error' });
    expect(classify(result)).toMatchObject({ decision: 'final', errorCode: '-1' });
    expect(JSON.stringify(result)).not.toContain('not-the-secret');
  });

  it('answers -16 to a client whose clock is ten minutes behind, which is worth a retry', async () => {
    const result = await clientWith({ clock: () => Date.now() - 600_000 }).resendAi(resendBody('stale-clock'));
    expect(result).toMatchObject({ kind: 'rejected', providerStatus: '-16', reason: 'Timestamp expires' });
    expect(classify(result)).toMatchObject({ decision: 'retry', errorCode: '-16' });
  });

  it('answers -41 to a repeated task name and creates nothing more', async () => {
    const client = clientWith();
    await client.resendAi(resendBody('repeated-name'));
    const result = await client.resendAi(resendBody('repeated-name', { keyId: 1 }));
    expect(result).toMatchObject({ kind: 'rejected', providerStatus: '-41', reason: 'Task name already exists' });
    expect((await simulator.ledger()).tasks).toHaveLength(1);
  });

  it('answers -60 for an unknown script', async () => {
    const result = await clientWith().resendAi(resendBody('unknown-script', { scriptId: 1_000_001 }));
    expect(result).toMatchObject({ kind: 'rejected', providerStatus: '-60', reason: 'The AI speech template does not exist' });
    expect(classify(result)).toMatchObject({ decision: 'final', errorCode: '-60' });
  });

  it('answers -15 beyond the rate limit set at run time', async () => {
    await simulator.updateSettings({ rateLimitPerSecond: 1 });
    const client = clientWith();
    const results = await Promise.all(['rate-1', 'rate-2', 'rate-3'].map((name) => client.resendAi(resendBody(name))));
    // Three calls within about a second: at most two windows, so at least one is refused.
    expect(results.filter((result) => result.kind === 'rejected' && result.providerStatus === '-15').length).toBeGreaterThanOrEqual(1);
  });

  it('reports an injected HTTP 503 as an http_error worth a retry', async () => {
    await simulator.addFaults({ match: { path: RESEND_PATH }, httpStatus: 503, times: 1 });
    const result = await clientWith().resendAi(resendBody('service-unavailable'));
    expect(result).toMatchObject({ kind: 'http_error', httpStatus: 503, bodyExcerpt: '503 Service Unavailable' });
    expect(classify(result)).toMatchObject({ decision: 'retry', errorCode: 'HTTP_503', outcomeUnknown: true });
    expect((await simulator.ledger()).tasks).toHaveLength(0);
  });

  it('reports a 200 with a garbage body as BAD_RESPONSE, masking the secret if it is echoed', async () => {
    await simulator.addFaults({ body: `<html>echo ${API_SECRET}</html>`, times: 1 });
    const result = await clientWith().resendAi(resendBody('garbage-body'));
    expect(result).toMatchObject({ kind: 'http_error', httpStatus: 200, bodyExcerpt: '<html>echo [redacted]</html>' });
    expect(classify(result)).toMatchObject({ errorCode: 'BAD_RESPONSE', outcomeUnknown: true });
    expectNoSecrets(classify(result));
  });

  it('times out when the answer is slower than the client: outcome unknown, and indeed the task exists', async () => {
    await simulator.addFaults({ latencyMs: 1_500, times: 1 });
    const result = await clientWith({ timeoutMs: 200 }).resendAi(resendBody('slow-answer'));
    expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'TIMEOUT', outcomeUnknown: true });
    expect(classify(result)).toMatchObject({ decision: 'retry', errorCode: 'TIMEOUT', outcomeUnknown: true });
    expect((await simulator.ledger()).tasks.map((task) => task.taskName)).toEqual(['slow-answer']);
  });

  it('loses the answer after the task was created: outcome unknown, and findTasksByName finds the task', async () => {
    await simulator.addFaults({ match: { taskName: 'answer-lost' }, drop: 'after_processing', times: 1 });
    const client = clientWith();
    const result = await client.resendAi(resendBody('answer-lost'));

    expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'CONNECTION_RESET', outcomeUnknown: true });
    const ledger = await simulator.ledger();
    expect(ledger.tasks).toMatchObject([{ taskId: 100_000, taskName: 'answer-lost' }]);
    expect(ledger.calls.byStatus).toEqual({ DROPPED_AFTER_PROCESSING: 1 });

    const lookup = await client.findTasksByName('answer-lost', aroundNow());
    expect(lookup).toEqual({ kind: 'found', tasks: [expect.objectContaining({ jobId: 100_000, taskName: 'answer-lost', status: 0 })] });
    // And a retry of the same call is told the name is taken.
    expect(await client.resendAi(resendBody('answer-lost'))).toMatchObject({ kind: 'rejected', providerStatus: '-41' });
  });

  it('loses the connection before processing: outcome unknown to the client, but nothing was created', async () => {
    await simulator.addFaults({ drop: 'before_processing', times: 1 });
    const client = clientWith();
    const result = await client.resendAi(resendBody('dropped-early'));
    expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'CONNECTION_RESET', outcomeUnknown: true });
    expect((await simulator.ledger()).tasks).toHaveLength(0);
    expect(await client.findTasksByName('dropped-early', aroundNow())).toEqual({ kind: 'not_found' });
  });

  it('reports a refused connection as certainly not delivered', async () => {
    const closedPort = await portWithNobodyListening();
    const result = await clientWith({ baseUrl: `http://127.0.0.1:${closedPort}` }).resendAi(resendBody('nobody-home'));
    expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'CONNECTION_REFUSED', outcomeUnknown: false });
    expect(classify(result)).toMatchObject({ decision: 'retry', outcomeUnknown: false });
  });

  it('holds an answer until the test releases it', async () => {
    await simulator.addFaults({ hold: true, times: 1 });
    const pending = clientWith().resendAi(resendBody('held-call'));
    const held = await waitFor(
      'the call to be held',
      async () => {
        const state = await simulator.held();
        return state.count === 1 ? state : undefined;
      },
      5_000,
      20,
    );
    expect(held.calls[0]).toMatchObject({ taskName: 'held-call' });
    expect(await simulator.release()).toBe(1);
    expect(await pending).toMatchObject({ kind: 'accepted' });
  });
});

describe('task lookups', () => {
  it('finds only the exact name although the provider search matches substrings', async () => {
    const client = clientWith();
    for (const name of ['campaign-1', 'campaign-10', 'campaign-11']) await client.resendAi(resendBody(name));
    const lookup = await client.findTasksByName('campaign-1', aroundNow());
    expect(lookup).toEqual({ kind: 'found', tasks: [expect.objectContaining({ jobId: 100_000, taskName: 'campaign-1' })] });
  });

  it('finds the exact name beyond the first page of substring matches', async () => {
    const client = clientWith();
    for (let index = 0; index < 25; index += 1) await client.resendAi(resendBody(`bulk-${String(index).padStart(2, '0')}-x`));
    await client.resendAi(resendBody('bulk'));
    expect(await client.findTasksByName('bulk', aroundNow())).toMatchObject({ kind: 'found', tasks: [{ taskName: 'bulk' }] });
  });

  it('answers not_found for a name never used, or used outside the window', async () => {
    const client = clientWith();
    await client.resendAi(resendBody('old-task'));
    expect(await client.findTasksByName('never-used', aroundNow())).toEqual({ kind: 'not_found' });
    const longAgo = { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-01-02T00:00:00Z') };
    expect(await client.findTasksByName('old-task', longAgo)).toEqual({ kind: 'not_found' });
  });

  it('reports a failed lookup with the same codes as the classifier', async () => {
    await simulator.addFaults({ match: { path: '/voice/group/call/query' }, httpStatus: 502, times: 1 });
    expect(await clientWith().findTasksByName('any', aroundNow())).toEqual({
      kind: 'failed',
      errorCode: 'HTTP_502',
      message: 'The provider answered HTTP 502',
    });
    const badSecret = await clientWith({ apiSecret: 'wrong' }).findTasksByName('any', aroundNow());
    expect(badSecret).toEqual({ kind: 'failed', errorCode: '-1', message: 'Authentication error' });
  });

  it('reads one task by id, or not_found', async () => {
    const client = clientWith();
    const created = (await client.resendAi(resendBody('detail-task'))) as Extract<ProviderCallResult, { kind: 'accepted' }>;
    expect(await client.getTaskDetail(created.taskId)).toEqual({
      kind: 'found',
      task: expect.objectContaining({ jobId: created.taskId, taskName: 'detail-task', status: 0 }),
    });
    expect(await client.getTaskDetail(1)).toEqual({ kind: 'not_found' });
  });
});

/** A port that was free a moment ago: bind to port 0, note the port, close. */
async function portWithNobodyListening(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
