import { OutboxRelay } from '#outbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/database.js';
import type { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import type { RunningService } from '../support/service-harness.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

describe('transactional outbox', () => {
  let flow: FlowFixture;
  let service: RunningService;
  let kafka: KafkaTestClient;
  let db: TestDatabase;

  beforeAll(async () => {
    flow = await startFlow({ service: { OUTBOX_ENABLED: 'false' } });
    ({ service, kafka, db } = flow);
  });

  afterAll(async () => {
    await flow?.close();
  });

  it('processes requests while the relay is stopped, publishes every outcome once it starts, and keeps ce_id on republication', async () => {
    const requests = [sampleRequest(), sampleRequest(), sampleRequest({ scriptId: 999_999 })];
    for (const sent of requests) await kafka.sendJson(TOPICS.requested, sent);
    const requestIds = requests.map((sent) => sent.requestId);

    // Processed: terminal rows, each with its outcome event waiting in the outbox.
    const terminal = await waitFor('three terminal requests', async () => {
      const rows = await db.rows(`SELECT status FROM resend_request WHERE request_id = ANY($1) AND status IN ('completed', 'failed')`, [
        requestIds,
      ]);
      return rows.length === 3 ? rows : undefined;
    });
    expect(terminal.map((row) => row.status).sort()).toEqual(['completed', 'completed', 'failed']);
    const unpublished = await db.rows(
      `SELECT id, topic FROM outbox_event_readable WHERE payload->>'requestId' = ANY($1) AND NOT published`,
      [requestIds],
    );
    expect(unpublished).toHaveLength(3);
    expect(kafka.messagesOn(TOPICS.completed, (m) => requestIds.includes(m.json?.requestId))).toHaveLength(0);

    // The relay starts: every outcome is published, and marked so.
    await service.app.get(OutboxRelay).start();
    const isOurs = (m: { json?: { requestId?: string } }) => requestIds.includes(m.json?.requestId ?? '');
    await kafka.waitForMessages(TOPICS.completed, isOurs, 2);
    await kafka.waitForMessages(TOPICS.failed, isOurs, 1);
    await waitFor('outbox rows marked published', async () => {
      const rows = await db.rows(`SELECT 1 FROM outbox_event WHERE id = ANY($1) AND published_at IS NOT NULL`, [
        unpublished.map((row) => row.id),
      ]);
      return rows.length === 3;
    });
    const firstCopy = kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requests[0]!.requestId);
    expect(firstCopy).toHaveLength(1);

    // A row published again (as after a crash between publishing and marking) keeps its ce_id.
    await db.rows(`UPDATE outbox_event SET published_at = NULL WHERE id = $1`, [firstCopy[0]!.headers.ce_id]);
    service.app.get(OutboxRelay).wake();
    const copies = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === requests[0]!.requestId, 2);
    expect(copies.map((copy) => copy.headers.ce_id)).toEqual([firstCopy[0]!.headers.ce_id, firstCopy[0]!.headers.ce_id]);
    expect(copies[1]!.json).toEqual(copies[0]!.json);
  });
});
