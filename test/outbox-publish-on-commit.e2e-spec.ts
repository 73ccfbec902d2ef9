import { randomUUID } from 'node:crypto';
import { DEFAULT_TOPICS } from '#contracts';
import { KafkaOutboxPublisher, OUTBOX_CHANNEL, OutboxRelay, OutboxWriter } from '#outbox';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { IsolatedDatabase, statementTestDatabase, TestDatabase, type StatementTestDatabase } from './support/database.js';
import { startFlow, type FlowFixture } from './support/flow-fixture.js';
import { scenarioTopic } from './support/scenario-kit.js';
import { KafkaTestClient } from './support/kafka-test-client.js';
import { sampleRequest } from './support/requests.js';
import { waitFor } from './support/wait-for.js';

/** Polls once a minute: within a test, only a NOTIFY, a wake-up in-process or the writer itself publishes a row. */
const POLL_RARELY_MS = 60_000;

/**
 * Publish-on-commit: the result's transaction marks its outbox rows as published by their writer,
 * which publishes them from a second transaction opened behind its COMMIT (Sql.transactionThen).
 * Such rows wake no relay; rows the writer fails to publish are left to the relay, woken in-process.
 */
describe('publish-on-commit (OutboxRelay.publishWritten)', () => {
  let statements: StatementTestDatabase;
  let notifications: Notifications;
  let kafka: KafkaTestClient;
  let relay: OutboxRelay | undefined;
  const writer = new OutboxWriter();

  beforeAll(async () => {
    statements = await statementTestDatabase('publish_on_commit');
    notifications = await Notifications.listen(statements.url);
    kafka = new KafkaTestClient(inject('kafkaBrokers'));
    await kafka.watch([DEFAULT_TOPICS.completed]);
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
  const outcomeRow = (label: string) => ({
    id: randomUUID(),
    topic: DEFAULT_TOPICS.completed,
    key: label,
    value: { label },
  });
  const publishedAt = async (id: string) =>
    (await statements.db.one<{ published_at: Date | null; publish_attempts: number }>(
      `SELECT published_at, publish_attempts FROM outbox_event WHERE id = $1`,
      [id],
    ))!;

  it('an INSERT in a transaction that says its writer publishes wakes no relay; any other INSERT does', async () => {
    // Not started: nothing publishes these rows (their topic does not exist).
    const quiet = new OutboxRelay(statements.sql, new KafkaOutboxPublisher({ brokers: ['127.0.0.1:1'] }), {
      databaseUrl: statements.url,
      pollIntervalMs: POLL_RARELY_MS,
      batchSize: 100,
      retentionDays: 0,
    });
    await statements.sql.transaction(async (tx) => {
      quiet.writerPublishes(tx);
      writer.add(tx, [outboxRowOn('outbox-trigger-probe')]);
    });
    await statements.sql.transaction(async (tx) => {
      writer.add(tx, [outboxRowOn('outbox-trigger-probe')]);
    });

    // Notifications arrive in commit order: everything the two commits sent is in before the marker.
    expect(await notifications.untilMarker(statements.db)).toEqual(['']);
    await statements.db.rows(`DELETE FROM outbox_event WHERE topic = 'outbox-trigger-probe'`);
  });

  it('publishes the rows it just committed from the transaction behind its COMMIT, and marks them published', async () => {
    const publishing = await startRelay(inject('kafkaBrokers'));
    const row = outcomeRow(`written-${randomUUID()}`);

    const { followUp } = await statements.sql.transactionThen(
      async (tx) => {
        publishing.writerPublishes(tx);
        writer.add(tx, [row]);
      },
      (tx) => publishing.publishWritten(tx, [row.id]),
    );

    expect(await followUp).toBe(1);
    const [message] = await kafka.waitForMessages(DEFAULT_TOPICS.completed, (m) => m.key === row.key);
    expect(message!.json).toEqual(row.value);
    expect((await publishedAt(row.id)).published_at).not.toBeNull();
    expect(await notifications.untilMarker(statements.db)).toEqual([]);
  });

  it('leaves the rows to the relay when publishing fails: rolled back, unlocked, and the relay woken at once', async () => {
    // A broker address nothing listens on: the publication fails as in a Kafka outage.
    const failing = await startRelay('127.0.0.1:1');
    const row = outcomeRow(`not-published-${randomUUID()}`);

    const { followUp } = await statements.sql.transactionThen(
      async (tx) => {
        failing.writerPublishes(tx);
        writer.add(tx, [row]);
      },
      (tx) => failing.publishWritten(tx, [row.id]),
    );
    await expect(followUp).rejects.toThrow();
    failing.writtenNotPublished(new Error('as the result recorder reports it'));

    // Only the relay counts failed attempts on the row; it polls once a minute, so the wake-up made it try.
    await waitFor('the relay to try the row itself', async () => (await publishedAt(row.id)).publish_attempts >= 1, 30_000, 50);
    expect((await publishedAt(row.id)).published_at).toBeNull();
    expect(failing.mayPublishWritten).toBe(false);
    await statements.db.rows(`DELETE FROM outbox_event WHERE id = $1`, [row.id]);
  });
});

describe('publish-on-commit in the flow: a request’s outcome is published by the transaction that decided it', () => {
  let database: IsolatedDatabase;
  let flow: FlowFixture;
  let notifications: Notifications;
  let requested: string;
  let db: TestDatabase;

  beforeAll(async () => {
    // Nothing but this file's requests: a request topic, consumer group and database of its own.
    const scenario = await scenarioTopic(inject('kafkaBrokers'), 'publish-on-commit');
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
      const topic = index === 0 ? DEFAULT_TOPICS.completed : DEFAULT_TOPICS.failed;
      await flow.kafka.waitForMessages(topic, (m) => m.json?.requestId === sent.requestId);
    }

    const rows = await db.rows<{ published: boolean }>(
      `SELECT published_at IS NOT NULL AS published FROM outbox_event WHERE request_id = ANY($1)`,
      [requests.map((sent) => sent.requestId)],
    );
    expect(rows).toEqual([{ published: true }, { published: true }]);
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
