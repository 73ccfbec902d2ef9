import { randomUUID } from 'node:crypto';
import {
  KafkaOutboxPublisher,
  OUTBOX_CHANNEL,
  OUTBOX_ROW_COLUMNS,
  OutboxRelay,
  OutboxWriter,
  outboxRowValues,
  outboxRows,
  toOutboxRecord,
  type OutboxRecord,
} from '#outbox';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedDatabase, statementTestDatabase, TestDatabase, type StatementTestDatabase } from '../support/database.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { scenarioTopic } from '../support/scenario-kit.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

/** Polls once a minute: within a test, only a NOTIFY, a wake-up in-process or the writer itself publishes a row. */
const POLL_RARELY_MS = 60_000;

/**
 * Publish-on-commit: the result's transaction writes its outbox rows held for their writer
 * (`held_until`), which publishes them from memory after its COMMIT and marks them published.
 * Such rows wake no relay, and relays leave them alone until the hold ends; rows the writer fails
 * to publish are released to the relay at once, woken in-process.
 */
describe('publish-on-commit (WriterPublication.hold, publish)', () => {
  let statements: StatementTestDatabase;
  let notifications: Notifications;
  let kafka: KafkaTestClient;
  let relay: OutboxRelay | undefined;
  const writer = new OutboxWriter();

  beforeAll(async () => {
    statements = await statementTestDatabase('publish_on_commit');
    notifications = await Notifications.listen(statements.url);
    kafka = new KafkaTestClient(e2e.kafkaBrokers);
    await kafka.watch([TOPICS.completed]);
  });

  afterEach(async () => {
    await relay?.stop();
    await relay?.closePublisher();
    relay = undefined;
  });

  afterAll(async () => {
    await kafka?.close();
    await notifications?.close();
    await statements?.close();
  });

  const startRelay = async (brokers: string) => {
    const publisher = new KafkaOutboxPublisher({ brokers: brokers.split(','), clientId: 'publish-on-commit-test' });
    relay = new OutboxRelay(statements.sql, publisher, {
      databaseUrl: statements.url,
      pollIntervalMs: POLL_RARELY_MS,
      batchSize: 100,
      retentionDays: 0,
    });
    await relay.start();
    // Its batches at start find nothing: once it sleeps, only a wake-up makes it look again.
    await waitFor('the relay to sleep', async () => relay!.isSleeping, 10_000, 10);
    return relay;
  };
  const outcomeRecord = (label: string) => toOutboxRecord({ id: randomUUID(), topic: TOPICS.completed, key: label, value: { label } });
  /** Commits the record held for `hold` (an interval), as finishRequestsAndReport writes it. */
  const commitHeld = (record: OutboxRecord, hold: string, holding: OutboxRelay) =>
    statements.sql.transaction(async (tx) => {
      holding.writerPublication.hold(tx);
      tx.send(insertHeld, [...outboxRowValues([record]), hold]);
    });
  const rowOf = async (id: string) =>
    (await statements.db.one<{ published_at: Date | null; held_until: Date | null; publish_attempts: number; last_error: string | null }>(
      `SELECT published_at, held_until, publish_attempts, last_error FROM outbox_event WHERE id = $1`,
      [id],
    ))!;

  it('an INSERT in a transaction that holds its rows for their writer wakes no relay; any other INSERT does', async () => {
    // Not started: nothing publishes these rows (their topic does not exist).
    const quiet = new OutboxRelay(statements.sql, new KafkaOutboxPublisher({ brokers: ['127.0.0.1:1'] }), {
      databaseUrl: statements.url,
      pollIntervalMs: POLL_RARELY_MS,
      batchSize: 100,
      retentionDays: 0,
    });
    await statements.sql.transaction(async (tx) => {
      quiet.writerPublication.hold(tx);
      writer.add(tx, [outboxRowOn('outbox-trigger-probe')]);
    });
    await statements.sql.transaction(async (tx) => {
      writer.add(tx, [outboxRowOn('outbox-trigger-probe')]);
    });

    // Notifications arrive in commit order: everything the two commits sent is in before the marker.
    expect(await notifications.untilMarker(statements.db)).toEqual(['']);
    await statements.db.rows(`DELETE FROM outbox_event WHERE topic = 'outbox-trigger-probe'`);
  });

  it('publishes the rows it held after their COMMIT, from memory, and marks them published', async () => {
    const publishing = await startRelay(e2e.kafkaBrokers);
    const record = outcomeRecord(`written-${randomUUID()}`);
    await commitHeld(record, '1 hour', publishing);

    await publishing.writerPublication.publish([record]);

    const [message] = await kafka.waitForMessages(TOPICS.completed, (m) => m.key === record.messageKey!.toString());
    expect(message!.json).toEqual(JSON.parse(record.messageValue.toString()));
    expect((await rowOf(record.id)).published_at).not.toBeNull();
    expect(await notifications.untilMarker(statements.db)).toEqual([]);
  });

  it('lets writers publish side by side, up to a bound beyond which their rows are left to the relay', async () => {
    const publishing = await startRelay(e2e.kafkaBrokers);
    const records = Array.from({ length: 16 }, (_, index) => outcomeRecord(`side-by-side-${index}-${randomUUID()}`));
    for (const record of records) await commitHeld(record, '1 hour', publishing);

    // Nothing is awaited in between: every publication is still waiting for Kafka when the next starts.
    const publications = records.map((record) => {
      expect(publishing.writerPublication.mayPublish).toBe(true);
      return publishing.writerPublication.publish([record]);
    });
    expect(publishing.writerPublication.mayPublish).toBe(false);
    await Promise.all(publications);

    expect(publishing.writerPublication.mayPublish).toBe(true);
    for (const record of records) expect((await rowOf(record.id)).published_at).not.toBeNull();
    const keys = new Set(records.map((record) => record.messageKey!.toString()));
    await kafka.waitForMessages(TOPICS.completed, (m) => keys.has(m.key ?? ''), 16);
  });

  it('a relay leaves a held row alone until its hold ends, then publishes it (its writer crashed)', async () => {
    const publishing = await startRelay(e2e.kafkaBrokers);
    const record = outcomeRecord(`orphaned-${randomUUID()}`);
    await commitHeld(record, '1 hour', publishing);

    expect(await publishing.publishBatch()).toBe(0);
    expect((await rowOf(record.id)).published_at).toBeNull();

    // The hour has passed, as far as the row is concerned.
    await statements.db.rows(`UPDATE outbox_event SET held_until = now() - interval '1 second' WHERE id = $1`, [record.id]);
    expect(await publishing.publishBatch()).toBe(1);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.key === record.messageKey!.toString());
    expect((await rowOf(record.id)).published_at).not.toBeNull();
  });

  it('releases the rows to the relay when publishing fails: the error noted, the hold ended, the relay woken at once', async () => {
    // A broker address nothing listens on: the publication fails as in a Kafka outage.
    const failing = await startRelay('127.0.0.1:1');
    const record = outcomeRecord(`not-published-${randomUUID()}`);
    await commitHeld(record, '1 hour', failing);

    await failing.writerPublication.publish([record]); // never rejects
    // The relay's state says so before the row does: /health turns red, no more publish-on-commit.
    expect(failing.failure).toEqual(expect.any(String));
    expect(failing.writerPublication.mayPublish).toBe(false);
    const released = await rowOf(record.id);
    expect(released).toMatchObject({ published_at: null, held_until: null, last_error: expect.any(String) });
    expect(released.publish_attempts).toBeGreaterThanOrEqual(1);

    // The relay polls once a minute, so only the wake-up makes it try the row itself (and count that).
    await waitFor('the relay to try the row itself', async () => (await rowOf(record.id)).publish_attempts >= 2, 30_000, 50);
    expect((await rowOf(record.id)).published_at).toBeNull();
    expect(failing.writerPublication.mayPublish).toBe(false);
    await statements.db.rows(`DELETE FROM outbox_event WHERE id = $1`, [record.id]);
  });
});

/** As finishRequestsAndReport writes its events: held for their writer for the interval $9. */
const insertHeld = `INSERT INTO outbox_event (${OUTBOX_ROW_COLUMNS}, held_until) SELECT outbox_row.*, now() + $9::interval FROM ${outboxRows(1)}`;

describe('publish-on-commit in the flow: a request’s outcome is published by the transaction that decided it', () => {
  let database: IsolatedDatabase;
  let flow: FlowFixture;
  let notifications: Notifications;
  let requested: string;
  let db: TestDatabase;

  beforeAll(async () => {
    // Nothing but this file's requests: a request topic, consumer group and database of its own.
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'publish-on-commit');
    requested = scenario.topic;
    database = await IsolatedDatabase.create('publish_on_commit_flow');
    flow = await startFlow({ service: { ...scenario.env, ...database.settings, OUTBOX_POLL_INTERVAL_MS: String(POLL_RARELY_MS) } });
    notifications = await Notifications.listen(database.url);
    db = new TestDatabase(database.url);
  });

  afterAll(async () => {
    await db?.close();
    await notifications?.close();
    await flow?.close();
    await database?.drop();
  });

  it('publishes completed and failed outcomes without waking a relay', async () => {
    // One at a time: a result written while the one before is still being published goes by the relay.
    const requests = [sampleRequest(), sampleRequest({ scriptId: 999_999 })];
    for (const [index, sent] of requests.entries()) {
      await flow.kafka.sendJson(requested, sent);
      const topic = index === 0 ? TOPICS.completed : TOPICS.failed;
      await flow.kafka.waitForMessages(topic, (m) => m.json?.requestId === sent.requestId);
    }

    // Marked published by the writer right after Kafka's acknowledgement.
    await waitFor('both outcome rows to be marked published', async () => {
      const rows = await db.rows<{ published: boolean }>(
        `SELECT published_at IS NOT NULL AS published FROM outbox_event WHERE request_id = ANY($1)`,
        [requests.map((sent) => sent.requestId)],
      );
      return rows.length === 2 && rows.every((row) => row.published);
    });
    const held = await db.rows(`SELECT 1 FROM outbox_event WHERE request_id = ANY($1) AND held_until IS NOT NULL`, [
      requests.map((sent) => sent.requestId),
    ]);
    expect(held).toHaveLength(2);
    expect(await notifications.untilMarker(db)).toEqual([]);
  });
});

function outboxRowOn(topic: string) {
  return { topic, key: null, value: { probe: true } };
}

/** Collects the payloads of NOTIFY on the outbox channel, as a relay's listener would receive them. */
class Notifications {
  private readonly payloads: string[] = [];

  private constructor(private readonly client: pg.Client) {}

  static async listen(url: string): Promise<Notifications> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const notifications = new Notifications(client);
    client.on('notification', (message) => notifications.payloads.push(message.payload ?? ''));
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    return notifications;
  }

  /**
   * Sends a marker on the channel and returns what arrived before it (and clears it): every
   * notification of a transaction that committed before the marker's comes first.
   */
  async untilMarker(db: { rows(sql: string, params?: unknown[]): Promise<unknown[]> }): Promise<string[]> {
    const marker = `marker-${randomUUID()}`;
    await db.rows(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, marker]);
    await waitFor('the marker notification', async () => this.payloads.includes(marker), 10_000, 10);
    const before = this.payloads.splice(0, this.payloads.length);
    return before.slice(0, before.indexOf(marker));
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
