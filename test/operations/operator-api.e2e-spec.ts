import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { OutboxRelay } from '#outbox';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { createApp } from '../../apps/resend-service/src/bootstrap.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { RawTopicWatcher } from '../support/raw-topic-watcher.js';
import { sampleRequest } from '../support/requests.js';
import { testServiceEnvironment } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const REQUESTED = TOPICS.requested;
const DLQ = TOPICS.deadLetter;
const TOKEN = `e2e-operator-${randomUUID()}`;
const SECOND_TOKEN = `e2e-operator-${randomUUID()}`;
const fingerprint = (token: string) => `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/**
 * The operator API over real HTTP, against the real service, Kafka and PostgreSQL: every route,
 * each error status, and a dead letter replayed end to end (consumed, dead-lettered, replayed,
 * seen again on the requested topic with the same bytes, dead-lettered again).
 */
describe('operator API (/requests, /dead-letters, /openapi.json)', () => {
  let flow: FlowFixture;
  let raw: RawTopicWatcher;
  const http = () => request(flow.service.url);
  const authorized = (test: request.Test, token = TOKEN) => test.set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    flow = await startFlow({ service: { OPERATOR_API_TOKENS: `${TOKEN},${SECOND_TOKEN}` } });
    raw = new RawTopicWatcher(e2e.kafkaBrokers);
    await raw.watch([REQUESTED, DLQ]);
  });

  afterAll(async () => {
    await raw?.close();
    await flow?.close();
  });

  describe('documentation', () => {
    it('serves the OpenAPI document at /openapi.json, without a token, with every operator route', async () => {
      const response = await http().get('/openapi.json').expect(200);
      const document = response.body;
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/requests',
          '/requests/{requestId}',
          '/dead-letters',
          '/dead-letters/{id}',
          '/dead-letters/{id}/replay',
          '/health',
        ]),
      );
      expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const listParameters = document.paths['/requests'].get.parameters.map((parameter: { name: string }) => parameter.name);
      expect(listParameters).toEqual(expect.arrayContaining(['keyId', 'status', 'limit', 'cursor']));
      expect(Object.keys(document.paths['/dead-letters/{id}/replay'].post.responses)).toEqual(
        expect.arrayContaining(['202', '400', '401', '404', '409']),
      );
    });

    it('serves Swagger UI at /docs', async () => {
      const response = await http().get('/docs').redirects(1).expect(200);
      expect(response.text).toContain('swagger-ui');
      await http().get('/docs/swagger-ui-bundle.js').expect(200);
    });
  });

  describe('authentication', () => {
    const operatorRoutes: [string, string][] = [
      ['get', '/requests'],
      ['get', '/requests/anything'],
      ['get', '/dead-letters'],
      ['get', `/dead-letters/${randomUUID()}`],
      ['post', `/dead-letters/${randomUUID()}/replay`],
    ];

    it.each(operatorRoutes)('%s %s answers 401 without a token', async (method, path) => {
      const response = await (http() as any)[method](path).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(response.body.message).toBe('a bearer token is required');
    });

    it.each(operatorRoutes)('%s %s answers 401 with a wrong token or another scheme', async (method, path) => {
      await authorized((http() as any)[method](path), `${TOKEN}x`).expect(401);
      await (http() as any)[method](path).set('Authorization', `Basic ${TOKEN}`).expect(401);
    });

    it('keeps the health probes open', async () => {
      await http().get('/health/live').expect(200);
      await http().get('/health').expect(200);
    });
  });

  describe('requests', () => {
    it('shows one request: its row, state, provider call and the id of its outcome event', async () => {
      const sent = sampleRequest();
      await flow.kafka.sendJson(REQUESTED, sent);
      const [completed] = await flow.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);

      // The outbox row is marked published just after Kafka acknowledged it.
      const body = await waitFor('the request with its published outcome', async () => {
        const response = await authorized(http().get(`/requests/${encodeURIComponent(sent.requestId)}`)).expect(200);
        return response.body.state.outcomePublished === true ? response.body : undefined;
      });
      expect(body.request).toMatchObject({
        requestId: sent.requestId,
        keyId: sent.keyId,
        status: 'completed',
        correlationId: sent.correlationId,
        attempts: 1,
        providerTaskId: completed!.json.newKeyId,
        payload: sent,
        kafka: { topic: REQUESTED },
      });
      expect(body.state).toMatchObject({ status: 'completed', outcomeUnknown: false, leaseOwner: null });
      expect(body.attempts).toEqual([expect.objectContaining({ attemptNumber: 1, kind: 'submit', outcome: 'accepted', httpStatus: 200 })]);
      expect(JSON.stringify(body.attempts)).not.toContain('e2e-api-secret');
      expect(body.outcomeEvents).toEqual([
        expect.objectContaining({ id: completed!.headers.ce_id, topic: TOPICS.completed, refusedAt: null }),
      ]);
    });

    it('answers 404 for a requestId no message carried', async () => {
      const response = await authorized(http().get(`/requests/never-sent-${randomUUID()}`)).expect(404);
      expect(response.body.message).toMatch(/^no request never-sent-/);
    });

    it('lists requests newest first, by keyId and status, page by page', async () => {
      const first = sampleRequest();
      const keyId = first.keyId;
      const repeat = () => ({ ...first, requestId: `e2e-${randomUUID()}` });
      const sent = [first, repeat(), repeat()];
      // One after another, so that their order of arrival is known: the second and third repeat the first (duplicates).
      for (const message of sent) {
        await flow.kafka.sendJson(REQUESTED, message);
        await waitFor(`${message.requestId} to be recorded`, async () => {
          const response = await authorized(http().get(`/requests/${message.requestId}`));
          return response.status === 200;
        });
      }
      const newestFirst = sent.map((message) => message.requestId).reverse();

      const all = await authorized(http().get('/requests').query({ keyId })).expect(200);
      expect(all.body.items.map((item: { requestId: string }) => item.requestId)).toEqual(newestFirst);
      expect(all.body.nextCursor).toBeNull();

      const page1 = await authorized(http().get('/requests').query({ keyId, limit: 2 })).expect(200);
      expect(page1.body.items.map((item: { requestId: string }) => item.requestId)).toEqual(newestFirst.slice(0, 2));
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const second = await authorized(http().get('/requests').query({ keyId, limit: 2, cursor: page1.body.nextCursor })).expect(200);
      expect(second.body.items.map((item: { requestId: string }) => item.requestId)).toEqual(newestFirst.slice(2));
      expect(second.body.nextCursor).toBeNull();

      const duplicates = await authorized(http().get('/requests').query({ keyId, status: 'duplicate' })).expect(200);
      expect(duplicates.body.items.map((item: { requestId: string }) => item.requestId)).toEqual(newestFirst.slice(0, 2));
      // A repeat gets an outcome event of its own, with the first request's result.
      const duplicate = await waitFor('the repeat to have its outcome event', async () => {
        const response = await authorized(http().get(`/requests/${sent[2]!.requestId}`)).expect(200);
        return response.body.outcomeEvents.length > 0 ? response.body : undefined;
      });
      expect(duplicate.request).toMatchObject({ status: 'duplicate', duplicateOf: first.requestId });
      expect(duplicate.outcomeEvents).toHaveLength(1);

      // Without a filter the newest request of the whole table comes first.
      const latest = await authorized(http().get('/requests').query({ limit: 1 })).expect(200);
      expect(latest.body.items).toHaveLength(1);
      expect(latest.body.nextCursor).toEqual(expect.any(String));
    });
  });

  describe('bad input: 400 naming the parameter, never a 500', () => {
    it.each([
      ['/requests?limit=0', /^limit: must be an integer from 1 to 200$/],
      ['/requests?limit=abc', /^limit: /],
      ['/requests?limit=1&limit=2', /^limit: /],
      ['/requests?limit=201', /^limit: /],
      ['/requests?keyId=-4', /^keyId: must be a positive integer$/],
      ['/requests?keyId=12.5', /^keyId: /],
      ['/requests?status=lost', /^status: must be one of pending, in_progress, completed, failed, duplicate$/],
      ['/requests?cursor=nonsense', /^cursor: must be the nextCursor of a previous page$/],
      [`/requests?cursor=${Buffer.from(`dead-letters:${randomUUID()}`).toString('base64url')}`, /^cursor: /],
      ['/requests?key_id=4', /key_id/],
      ['/dead-letters?since=yesterday', /^since: must be an ISO 8601 date-time/],
      ['/dead-letters?limit=-1', /^limit: /],
      ['/dead-letters?cursor=%00', /^cursor: /],
      ['/dead-letters/not-a-uuid', /^id: must be a UUID$/],
    ])('GET %s', async (path, message) => {
      const response = await authorized(http().get(path)).expect(400);
      expect(response.body.message).toMatch(message);
    });

    it.each([
      ['/requests/a%00b', 400, /^requestId: must not contain NUL characters$/],
      [`/requests/${'x'.repeat(1001)}`, 400, /^requestId: must be at most 1000 characters$/],
      ['/requests/%E0%A4%A', 400, undefined],
      ['/requests?keyId[a]=1', 400, /^Unrecognized key: "keyId\[a\]"$/],
      ['/dead-letters?since[]=2026-01-01T00:00:00Z', 400, /^Unrecognized key: "since\[\]"$/],
    ])('GET %s answers %i', async (path, status, message) => {
      const response = await authorized(http().get(path)).expect(status);
      if (message) expect(response.body.message).toMatch(message);
    });

    it('POST /dead-letters/not-a-uuid/replay', async () => {
      const response = await authorized(http().post('/dead-letters/not-a-uuid/replay')).expect(400);
      expect(response.body.message).toBe('id: must be a UUID');
    });

    it('answers 404 for unknown dead letters', async () => {
      const id = randomUUID();
      expect((await authorized(http().get(`/dead-letters/${id}`)).expect(404)).body.message).toBe(`no dead letter ${id}`);
      expect((await authorized(http().post(`/dead-letters/${id}/replay`)).expect(404)).body.message).toBe(`no dead letter ${id}`);
    });
  });

  describe('dead letters', () => {
    it('replays a dead letter once, with its original bytes, back to the topic it came from', async () => {
      const since = new Date(Date.now() - 1_000).toISOString();
      const marker = randomUUID();
      const key = Buffer.from(`operator-${marker}`);
      const value = Buffer.from(`this is not JSON ${marker}`);
      await flow.kafka.send(REQUESTED, [{ key, value, headers: { 'x-marker': marker } }]);

      const original = await waitFor('the bad message on the requested topic', () =>
        raw.records.find((record) => record.topic === REQUESTED && record.value?.equals(value)),
      );
      await raw.waitForCopyOf(DLQ, { topic: REQUESTED, partition: original.partition, offset: Number(original.offset) });

      // Listed, then shown with its bytes.
      const listed = await waitFor('the dead letter in the list', async () => {
        const response = await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200);
        return response.body.items.find((item: { kafka: { offset: number } }) => item.kafka.offset === Number(original.offset));
      });
      expect(listed).toMatchObject({
        kafka: { topic: REQUESTED, partition: original.partition },
        reason: 'not_json',
        keySize: key.length,
        valueSize: value.length,
        replayedAt: null,
      });
      const detail = await authorized(http().get(`/dead-letters/${listed.id}`)).expect(200);
      expect(detail.body).toMatchObject({
        keyBase64: key.toString('base64'),
        valueBase64: value.toString('base64'),
        valueText: value.toString('utf8'),
        headers: { 'x-marker': marker },
      });

      // Two operators at once: exactly one replay goes through, the other learns when it happened.
      const answers = await Promise.all([
        authorized(http().post(`/dead-letters/${listed.id}/replay`), TOKEN),
        authorized(http().post(`/dead-letters/${listed.id}/replay`), SECOND_TOKEN),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
      const accepted = answers.find((answer) => answer.status === 202)!;
      const refused = answers.find((answer) => answer.status === 409)!;
      expect(accepted.body).toMatchObject({ deadLetterId: listed.id, topic: REQUESTED, outboxEventId: expect.any(String) });
      expect([fingerprint(TOKEN), fingerprint(SECOND_TOKEN)]).toContain(accepted.body.replayedBy);
      expect(refused.body).toMatchObject({ statusCode: 409, replayedAt: accepted.body.replayedAt });
      expect(refused.body.message).toBe(`dead letter ${listed.id} was already replayed at ${accepted.body.replayedAt}`);

      // Seen again on the requested topic: same key, value and headers, a later offset.
      const replayed = await waitFor('the replayed message on the requested topic', () =>
        raw.records.find((record) => record.topic === REQUESTED && record.value?.equals(value) && record.offset !== original.offset),
      );
      expect(replayed.key).toEqual(key);
      expect(raw.header(replayed, 'x-marker')).toBe(marker);
      expect(Object.keys(replayed.headers)).toEqual(Object.keys(original.headers));

      // Still not JSON, so the service dead-letters the replayed copy as a new dead letter.
      const again = await waitFor('the replayed copy dead-lettered again', async () => {
        const response = await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200);
        return response.body.items.find(
          (item: { kafka: { partition: number; offset: number } }) =>
            item.kafka.partition === replayed.partition && item.kafka.offset === Number(replayed.offset),
        );
      });
      expect(again).toMatchObject({ reason: 'not_json', replayedAt: null });

      // The first dead letter keeps its mark; a later replay is refused with the same time.
      const after = await authorized(http().get(`/dead-letters/${listed.id}`)).expect(200);
      expect(after.body).toMatchObject({
        replayedAt: accepted.body.replayedAt,
        replayedBy: accepted.body.replayedBy,
        replayEventId: accepted.body.outboxEventId,
      });
      const late = await authorized(http().post(`/dead-letters/${listed.id}/replay`)).expect(409);
      expect(late.body.replayedAt).toBe(accepted.body.replayedAt);
    });

    it('replays through the transactional outbox: with the relay stopped the message waits there, marked replayed; the relay publishes it', async () => {
      const since = new Date(Date.now() - 1_000).toISOString();
      const value = Buffer.from(`not JSON either ${randomUUID()}`);
      await flow.kafka.send(REQUESTED, [{ key: 'replay-durable', value }]);
      const original = await waitFor('the bad message on the requested topic', () =>
        raw.records.find((record) => record.topic === REQUESTED && record.value?.equals(value)),
      );
      const listed = await waitFor('the dead letter in the list', async () => {
        const response = await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200);
        return response.body.items.find(
          (item: { kafka: { partition: number; offset: number } }) =>
            item.kafka.partition === original.partition && item.kafka.offset === Number(original.offset),
        );
      });
      const copiesOnTopic = () => raw.records.filter((record) => record.topic === REQUESTED && record.value?.equals(value));

      // No producer of its own: with the relay stopped, the replay is committed to the outbox and waits there.
      const relay = flow.service.app.get(OutboxRelay);
      await relay.stop();
      let outboxEventId: string;
      try {
        const accepted = await authorized(http().post(`/dead-letters/${listed.id}/replay`)).expect(202);
        outboxEventId = accepted.body.outboxEventId;
        const [row] = await flow.db.rows(`SELECT topic, message_value, published_at FROM outbox_event WHERE id = $1`, [outboxEventId]);
        expect(row).toMatchObject({ topic: REQUESTED, published_at: null });
        expect(Buffer.from(row!.message_value).equals(value)).toBe(true);
        const marked = await flow.db.one(`SELECT replay_event_id FROM dead_letter WHERE id = $1`, [listed.id]);
        expect(marked).toEqual({ replay_event_id: outboxEventId });
        expect(copiesOnTopic()).toHaveLength(1);
      } finally {
        await relay.start();
      }

      // The relay publishes it, like any outcome event, and marks it published.
      await waitFor('the replayed message, published by the relay', () => copiesOnTopic().length === 2);
      await waitFor(
        'the replay row marked published',
        async () =>
          (await flow.db.rows(`SELECT 1 FROM outbox_event WHERE id = $1 AND published_at IS NOT NULL`, [outboxEventId])).length === 1,
      );
    });

    it('replays a no_usable_key_id dead letter with its requestId: recognised as the request it already is, and ignored', async () => {
      const since = new Date(Date.now() - 1_000).toISOString();
      const key = `replay-refused-${randomUUID()}`;
      const refused = { ...sampleRequest(), keyId: -5 };
      await flow.kafka.send(REQUESTED, [{ key, value: JSON.stringify(refused) }]);
      await flow.kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === refused.requestId);
      const listed = await waitFor('the dead letter in the list', async () => {
        const response = await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200);
        return response.body.items.find(
          (item: { reason: string; valueSize: number }) =>
            item.reason === 'no_usable_key_id' && item.valueSize === Buffer.byteLength(JSON.stringify(refused)),
        );
      });
      await authorized(http().post(`/dead-letters/${listed.id}/replay`)).expect(202);
      const copies = () => raw.records.filter((record) => record.topic === REQUESTED && record.key?.toString() === key);
      await waitFor('the replayed message on the requested topic', () => copies().length === 2);

      // A good message behind it on its partition (same key): once that one completes, the replay was read.
      const good = sampleRequest();
      await flow.kafka.send(REQUESTED, [{ key, value: JSON.stringify(good) }]);
      await flow.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
      const replayed = copies()[1]!;
      const afterwards = await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200);
      expect(
        afterwards.body.items.filter(
          (item: { kafka: { partition: number; offset: number } }) =>
            item.kafka.partition === replayed.partition && item.kafka.offset === Number(replayed.offset),
        ),
      ).toEqual([]);
      expect(flow.kafka.messagesOn(TOPICS.failed, (m) => m.json?.requestId === refused.requestId)).toHaveLength(1);
      expect(await flow.db.rows(`SELECT status FROM resend_request WHERE request_id = $1`, [refused.requestId])).toEqual([
        { status: 'failed' },
      ]);
    });

    it('pages do not shift when dead letters arrive meanwhile', async () => {
      const since = new Date(Date.now() - 1_000).toISOString();
      const marker = randomUUID();
      const bad = (n: number) => ({ key: `paging-${marker}`, value: `not JSON ${n} ${marker}` });
      const ours = async () =>
        (await authorized(http().get('/dead-letters').query({ since, limit: 200 })).expect(200)).body.items.filter(
          (item: { valueSize: number; kafka: { offset: number } }) => item.valueSize === Buffer.byteLength(bad(1).value),
        );
      await flow.kafka.send(REQUESTED, [bad(1), bad(2)]);
      await waitFor('both dead letters listed', async () => (await ours()).length >= 2);
      const before = (await authorized(http().get('/dead-letters').query({ since, limit: 2 })).expect(200)).body.items;
      const first = (await authorized(http().get('/dead-letters').query({ since, limit: 1 })).expect(200)).body;
      expect(first.items.map((item: { id: string }) => item.id)).toEqual([before[0].id]);

      // A newer dead letter arrives between the two pages.
      await flow.kafka.send(REQUESTED, [bad(3)]);
      await waitFor('the newer dead letter listed', async () => (await ours()).length >= 3);
      const second = (await authorized(http().get('/dead-letters').query({ since, limit: 1, cursor: first.nextCursor })).expect(200)).body;
      expect(second.items.map((item: { id: string }) => item.id)).toEqual([before[1].id]);
    });

    it('pages dead letters newest first', async () => {
      const first = await authorized(http().get('/dead-letters').query({ limit: 1 })).expect(200);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await authorized(http().get('/dead-letters').query({ limit: 1, cursor: first.body.nextCursor })).expect(200);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      expect(Date.parse(second.body.items[0].receivedAt)).toBeLessThanOrEqual(Date.parse(first.body.items[0].receivedAt));
    });
  });

  describe('without OPERATOR_API_TOKENS', () => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      // HTTP only: no consumer, worker or relay, so it cannot take work from the instance above.
      const config = loadConfig({
        ...testServiceEnvironment(flow.simulator.url),
        LOG_LEVEL: 'warn',
        SUBMISSION_ENABLED: 'false',
        OUTBOX_ENABLED: 'false',
      });
      app = await createApp(config);
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });

    afterAll(async () => {
      await app?.close();
    });

    it.each([
      ['get', '/requests'],
      ['get', `/dead-letters/${randomUUID()}`],
      ['post', `/dead-letters/${randomUUID()}/replay`],
    ])('%s %s answers 404, token or not', async (method, path) => {
      await (request(url) as any)[method](path).expect(404);
      await (request(url) as any)[method](path).set('Authorization', `Bearer ${TOKEN}`).expect(404);
    });

    it('still answers its liveness probe', async () => {
      await request(url).get('/health/live').expect(200);
    });
  });
});
