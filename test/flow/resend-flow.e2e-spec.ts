import { validateCompletedEvent, validateFailedEvent } from '#contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import type { TestDatabase } from '../support/database.js';
import type { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import type { RunningService } from '../support/service-harness.js';
import type { RunningSimulator } from '../support/simulator-harness.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { TOPICS } from '../support/e2e-context.js';

const CE_HEADERS = ['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_time', 'content-type'];

describe('campaign.resend.requested → provider → outcome event (real Kafka, Postgres, HTTP)', () => {
  let flow: FlowFixture;
  let simulator: RunningSimulator;
  let service: RunningService;
  let kafka: KafkaTestClient;
  let db: TestDatabase;

  beforeAll(async () => {
    flow = await startFlow({ alsoWatch: [TOPICS.deadLetter] });
    ({ simulator, service, kafka, db } = flow);
  });

  afterAll(async () => {
    await flow?.close();
  });

  it('completes a valid request with exactly one provider task and one completed event', async () => {
    const sent = sampleRequest();
    await kafka.sendJson(TOPICS.requested, sent);

    const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
    const [task] = await simulator.tasksFor(sent.keyId);
    expect(task).toBeDefined();
    expect(completed!.json).toMatchObject({
      requestId: sent.requestId,
      keyId: sent.keyId,
      taskName: sent.taskName,
      newKeyId: task!.taskId,
      attempts: 1,
      correlationId: sent.correlationId,
      resolvedByLookup: false,
    });
    expect(validateCompletedEvent(completed!.json)).toEqual([]);
    expect(completed!.key).toBe(String(sent.keyId));
    for (const header of CE_HEADERS) expect(completed!.headers).toHaveProperty(header);
    expect(completed!.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: TOPICS.completed,
      ce_subject: String(sent.keyId),
      ce_correlationid: sent.correlationId,
      'content-type': 'application/json',
    });

    // The provider saw the body as sent, correctly signed, once.
    const { requestId: _requestId, correlationId: _correlationId, ...providerFields } = sent;
    expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
    expect(task!.body).toEqual(providerFields);
    expect(task!.signatureValid).toBe(true);

    // The audit record: terminal request, one attempt without secrets, the outbox row published.
    const row = await db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [sent.requestId]);
    expect(row).toMatchObject({ status: 'completed', provider_task_id: String(task!.taskId), attempts: 1 });
    expect(row!.kafka_topic).toBe(TOPICS.requested);
    const attempts = await db.rows(`SELECT * FROM submission_attempt WHERE request_id = $1`, [row!.id]);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ kind: 'submit', outcome: 'accepted', http_status: 200, provider_status: '0' });
    expect(attempts[0]!.request_body).toEqual(providerFields);
    expect(JSON.stringify(attempts[0])).not.toContain(service.config.provider.apiSecret);
    // Marked published once Kafka acknowledged it: the row may lag the message by a moment.
    await waitFor(
      'the outbox row to be marked published',
      async () => (await db.one(`SELECT published_at FROM outbox_event WHERE id = $1`, [completed!.headers.ce_id]))?.published_at != null,
    );
    expect(kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === sent.requestId)).toHaveLength(1);
  });

  it('reports a provider rejection (-60, unknown script) once, without retrying', async () => {
    const sent = sampleRequest({ scriptId: 999_999 });
    await kafka.sendJson(TOPICS.requested, sent);

    const [failed] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === sent.requestId);
    expect(failed!.json).toMatchObject({
      requestId: sent.requestId,
      keyId: sent.keyId,
      taskName: sent.taskName,
      error: { code: '-60', category: 'provider_rejected' },
      attempts: 1,
    });
    expect(failed!.json.error.message).toMatch(/template does not exist/i);
    expect(validateFailedEvent(failed!.json)).toEqual([]);
    expect(await simulator.tasksFor(sent.keyId)).toHaveLength(0);
    const row = await db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [sent.requestId]);
    expect(row).toMatchObject({ status: 'failed', error_code: '-60', error_category: 'provider_rejected', attempts: 1 });
  });

  it('records and reports malformed input, and still processes the next good message on the same partition', async () => {
    const good = sampleRequest();
    const key = String(good.keyId); // one key: every message below lands on the same partition
    const noTaskName = sampleRequest({ keyId: good.keyId + 1, taskName: undefined });
    const noKeyId = { ...sampleRequest(), keyId: undefined };
    await kafka.send(TOPICS.requested, [
      { key, value: '{"keyId": 12, "taskName": ' },
      { key, value: JSON.stringify(noTaskName) },
      { key, value: JSON.stringify(noKeyId) },
      { key, value: JSON.stringify(good) },
    ]);

    const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId);
    expect(completed!.json.newKeyId).toBeGreaterThan(0);

    // Not JSON: a dead letter with the original bytes, in Postgres and on the DLQ topic.
    const [deadLetter] = await kafka.waitForMessages(TOPICS.deadLetter, (m) => m.key === key && m.headers.dlq_reason === 'not_json');
    expect(deadLetter!.value?.toString()).toBe('{"keyId": 12, "taskName": ');
    expect(deadLetter!.headers).toMatchObject({ dlq_source_topic: TOPICS.requested });
    expect(deadLetter!.headers.dlq_error).toMatch(/not UTF-8 JSON/);

    // Missing taskName: a failed event naming the field, category validation; never sent.
    const [invalid] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === noTaskName.requestId);
    expect(invalid!.json).toMatchObject({ keyId: noTaskName.keyId, error: { code: 'VALIDATION', category: 'validation' } });
    expect(invalid!.json.error.message).toMatch(/taskName/);
    expect(validateFailedEvent(invalid!.json)).toEqual([]);

    // Missing keyId: a failed event with keyId null (no Kafka key) and a dead letter.
    const [noKey] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === noKeyId.requestId);
    expect(noKey!.json).toMatchObject({ keyId: null, error: { category: 'validation' } });
    expect(noKey!.json.error.message).toMatch(/keyId/);
    expect(noKey!.key).toBeNull();
    await kafka.waitForMessages(
      TOPICS.deadLetter,
      (m) => m.headers.dlq_reason === 'no_usable_key_id' && m.json?.requestId === noKeyId.requestId,
    );

    const rows = await db.rows(
      `SELECT request_id, status, error_category, kafka_partition FROM resend_request WHERE request_id = ANY($1)`,
      [[good.requestId, noTaskName.requestId, noKeyId.requestId]],
    );
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.kafka_partition)).size).toBe(1);
    const deadLetterRow = await db.one(
      `SELECT * FROM dead_letter WHERE kafka_partition = $1 AND reason = 'not_json' AND message_key = $2`,
      [rows[0]!.kafka_partition, Buffer.from(key)],
    );
    expect(deadLetterRow?.message_value.toString()).toBe('{"keyId": 12, "taskName": ');
    expect(await simulator.tasksFor(noTaskName.keyId)).toHaveLength(0);
  });

  it('GET /health reports the database and Kafka as up', async () => {
    const response = await request(service.app.getHttpServer()).get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details.database.status).toBe('up');
    expect(response.body.details.kafka.status).toBe('up');
    expect(response.body.details.kafka.brokers).toBeGreaterThanOrEqual(1);
  });
});
