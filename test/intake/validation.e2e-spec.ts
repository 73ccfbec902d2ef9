import { randomBytes } from 'node:crypto';
import { validateCompletedEvent, validateFailedEvent } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/database.js';
import type { KafkaTestClient, ReceivedMessage } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import type { RunningSimulator } from '../support/simulator-harness.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

/**
 * The validation rules of docs/validation.md, wired through the whole service: an invalid request
 * published on Kafka gets a failed event naming the field and never reaches the provider; the
 * passing edge cases complete, with the body the provider receives normalised as documented.
 * (Every rule is unit-tested in libs/contracts; this proves the wiring.)
 */

type Request = Record<string, unknown> & { requestId: string; taskName?: unknown; keyId?: unknown };

/** A name of exactly `length` characters, unique to this run. */
function nameOf(length: number): string {
  const unique = `v-${randomBytes(8).toString('hex')}-`;
  return unique.padEnd(length, 'x');
}

const INVALID: { rule: string; request: () => Request; message: RegExp }[] = [
  {
    rule: 'keyId as a numeric string',
    request: () => sampleRequest({ keyId: '123' }),
    message: /(^|; )keyId: must be a positive integer \(got the string "123"\)/,
  },
  {
    rule: 'taskName of 65 characters',
    request: () => sampleRequest({ taskName: nameOf(65) }),
    message: /(^|; )taskName: must be 2 to 64 characters after trimming spaces \(got 65\)/,
  },
  {
    rule: 'maxRingingTime 19',
    request: () => sampleRequest({ maxRingingTime: 19 }),
    message: /(^|; )maxRingingTime: must be an integer from 20 to 120 \(got 19\)/,
  },
  {
    rule: 'four send windows',
    request: () =>
      sampleRequest({
        allowSendTime: [
          { strTime: '08:00', endTime: '09:00' },
          { strTime: '10:00', endTime: '11:00' },
          { strTime: '12:00', endTime: '13:00' },
          { strTime: '14:00', endTime: '15:00' },
        ],
      }),
    message: /(^|; )allowSendTime: must hold at most 3 windows \(got 4\)/,
  },
  {
    rule: 'overlapping send windows',
    request: () =>
      sampleRequest({
        allowSendTime: [
          { strTime: '10:00', endTime: '12:00' },
          { strTime: '11:00', endTime: '13:00' },
        ],
      }),
    message: /(^|; )allowSendTime\[1\]: overlaps allowSendTime\[0\] \(10:00-12:00\)/,
  },
  {
    rule: 'sendTime that does not exist (2023 is not a leap year)',
    request: () => sampleRequest({ sendTime: '2023-02-29 10:00:00' }),
    message: /(^|; )sendTime: 2023-02-29 10:00:00 is not a real date and time/,
  },
  {
    rule: 'resendType 2',
    request: () => sampleRequest({ resendType: 2 }),
    message: /(^|; )resendType: must be 0 or 1 \(got 2\)/,
  },
  {
    rule: 'enableRecording 2',
    request: () => sampleRequest({ enableRecording: 2 }),
    message: /(^|; )enableRecording: must be 0 or 1 \(got 2\)/,
  },
];

/** `sent` is what goes on Kafka; `body` is exactly what the provider must receive. */
const PASSING: { edge: string; build: () => { sent: Request; body: Record<string, unknown> } }[] = [
  { edge: 'maxRingingTime 20', build: () => asSent(sampleRequest({ maxRingingTime: 20 })) },
  { edge: 'maxRingingTime 120', build: () => asSent(sampleRequest({ maxRingingTime: 120 })) },
  {
    edge: 'exactly 3 windows (touching, up to 23:59)',
    build: () =>
      asSent(
        sampleRequest({
          allowSendTime: [
            { strTime: '08:00', endTime: '12:00' },
            { strTime: '12:00', endTime: '14:00' },
            { strTime: '18:00', endTime: '23:59' },
          ],
        }),
      ),
  },
  { edge: 'a 64-character taskName', build: () => asSent(sampleRequest({ taskName: nameOf(64) })) },
  {
    edge: 'a 64-character taskName with spaces around it (sent trimmed)',
    build: () => {
      const name = nameOf(64);
      return asSent(sampleRequest({ taskName: `  ${name}  ` }), { taskName: name });
    },
  },
  {
    edge: 'an ISO local sendTime (sent in the provider format)',
    build: () => asSent(sampleRequest({ sendTime: '2024-06-03T10:42:05' }), { sendTime: '2024-06-03 10:42:05' }),
  },
  {
    edge: 'only the required fields (absent optional fields stay absent)',
    build: () => {
      const { requestId, correlationId, keyId, taskName, resendType, scriptId } = sampleRequest();
      return { sent: { requestId, correlationId, keyId, taskName, resendType, scriptId }, body: { keyId, taskName, resendType, scriptId } };
    },
  },
];

function asSent(sent: Request, normalised: Record<string, unknown> = {}) {
  const { requestId: _requestId, correlationId: _correlationId, ...fields } = sent;
  return { sent, body: { ...fields, ...normalised } };
}

describe('validation of campaign.resend.requested, through Kafka, the service and the simulator', () => {
  let flow: FlowFixture;
  let simulator: RunningSimulator;
  let kafka: KafkaTestClient;
  let db: TestDatabase;

  beforeAll(async () => {
    flow = await startFlow();
    ({ simulator, kafka, db } = flow);
  });

  afterAll(async () => {
    await flow?.close();
  });

  function outcomeOf(requestId: string): Promise<ReceivedMessage> {
    return waitFor(
      `the outcome of ${requestId}`,
      () => kafka.received.find((m) => (m.topic === TOPICS.completed || m.topic === TOPICS.failed) && m.json?.requestId === requestId),
      50_000,
      200,
    );
  }

  it(`refuses one request per rule family (${INVALID.length}) with a failed event naming the field, and calls nobody`, async () => {
    const cases = INVALID.map((entry) => ({ ...entry, sent: entry.request() }));
    for (const { sent } of cases) await kafka.sendJson(TOPICS.requested, sent);
    // A valid request published after them: once it has completed, the service has long seen the others.
    const witness = sampleRequest();
    await kafka.sendJson(TOPICS.requested, witness);

    const outcomes = await Promise.all(cases.map(({ sent }) => outcomeOf(sent.requestId)));
    expect((await outcomeOf(witness.requestId)).topic).toBe(TOPICS.completed);

    const { calls } = await simulator.calls();
    for (const [index, { rule, sent, message }] of cases.entries()) {
      const outcome = outcomes[index]!;
      const context = `${rule}: ${JSON.stringify(outcome.json)}`;
      expect(outcome.topic, context).toBe(TOPICS.failed);
      expect(validateFailedEvent(outcome.json), context).toEqual([]);
      expect(outcome.json, context).toMatchObject({
        requestId: sent.requestId,
        correlationId: sent.correlationId,
        // What could be read is kept: the keyId when it is a positive integer, the name trimmed and cut to 64.
        keyId: typeof sent.keyId === 'number' ? sent.keyId : null,
        taskName: typeof sent.taskName === 'string' ? sent.taskName.trim().slice(0, 64) : null,
        attempts: 0,
        error: { code: 'VALIDATION', category: 'validation' },
      });
      expect(outcome.json.error.message, context).toMatch(message);

      const row = await db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [sent.requestId]);
      expect(row, context).toMatchObject({ status: 'failed', error_code: 'VALIDATION', error_category: 'validation', attempts: 0 });
      expect(await db.rows(`SELECT 1 FROM submission_attempt WHERE request_id = $1`, [row!.id]), context).toHaveLength(0);

      // Nothing reached the provider: no call with this request's keyId or name.
      const sentName = typeof sent.taskName === 'string' ? sent.taskName.trim() : undefined;
      const reached = calls.filter((call) => call.keyId === sent.keyId || (sentName !== undefined && call.taskName === sentName));
      expect(reached, context).toEqual([]);
    }
  });

  it(`passes the edge cases (${PASSING.length}) and sends the provider the normalised body, without absent fields`, async () => {
    const cases = PASSING.map((entry) => ({ ...entry, ...entry.build() }));
    for (const { sent } of cases) await kafka.sendJson(TOPICS.requested, sent);

    const outcomes = await Promise.all(cases.map(({ sent }) => outcomeOf(sent.requestId)));
    for (const [index, { edge, sent, body }] of cases.entries()) {
      const outcome = outcomes[index]!;
      const context = `${edge}: ${JSON.stringify(outcome.json)}`;
      expect(outcome.topic, context).toBe(TOPICS.completed);
      expect(validateCompletedEvent(outcome.json), context).toEqual([]);
      const tasks = await simulator.tasksFor(sent.keyId as number);
      expect(tasks, context).toHaveLength(1);
      expect(outcome.json, context).toMatchObject({ keyId: sent.keyId, taskName: body.taskName, newKeyId: tasks[0]!.taskId, attempts: 1 });
      // Exactly the fields given, normalised; nothing added (no defaults, no requestId or correlationId).
      expect(tasks[0]!.body, context).toStrictEqual(body);
      expect(Object.keys(tasks[0]!.body as object).sort(), context).toEqual(Object.keys(body).sort());
    }
  });
});
