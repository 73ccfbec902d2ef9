import { randomUUID } from 'node:crypto';
import { KafkaOutboxPublisher, OutboxRelay } from '#outbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementTestDatabase, type StatementTestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { e2e } from '../support/e2e-context.js';

/** No topic of the broker: no row here may be published (the only unpublished one is held). */
const UNUSED_TOPIC = 'resend-relay-e2e.outbox-retention-unused';

/**
 * Retention (docs/guarantees.md#limits): a relay deletes, at start and then hourly, published rows
 * older than OUTBOX_RETENTION_DAYS and rows Kafka refused for good that long ago — a refused
 * dead-letter copy is up to 1 MiB, and junk on the request topic must not grow the table for ever.
 * Rows still to publish are kept however old. Checked with a real relay on a migrated database.
 */
describe('outbox retention', () => {
  let database: StatementTestDatabase;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    database = await statementTestDatabase('outbox_retention');
  });

  afterAll(async () => {
    await relay?.stop();
    await relay?.closePublisher();
    await database?.close();
  });

  /** A row written `age` ago; `state` sets the column that says what became of it, `age` ago too. */
  async function row(age: string, state: 'published' | 'refused' | 'held'): Promise<string> {
    const id = randomUUID();
    await database.db.rows(
      `INSERT INTO outbox_event (id, topic, message_key, message_value, created_at, published_at, refused_at, held_until, last_error)
       VALUES ($1, $2, NULL, $3, now() - $4::interval,
               CASE WHEN $5 = 'published' THEN now() - $4::interval END,
               CASE WHEN $5 = 'refused' THEN now() - $4::interval END,
               CASE WHEN $5 = 'held' THEN now() + interval '1 hour' END,
               CASE WHEN $5 = 'refused' THEN 'refused by Kafka, not published: too large' END)`,
      [id, UNUSED_TOPIC, Buffer.alloc(64 * 1024, 'x'), age, state],
    );
    return id;
  }

  const remaining = async (ids: string[]) =>
    (await database.db.rows<{ id: string }>(`SELECT id FROM outbox_event WHERE id = ANY($1)`, [ids])).map((found) => found.id);

  it('deletes published rows and rows Kafka refused, both older than the retention; keeps recent ones and rows still to publish', async () => {
    const publishedLongAgo = await row('8 days', 'published');
    const refusedLongAgo = await row('8 days', 'refused');
    const publishedRecently = await row('6 days', 'published');
    const refusedRecently = await row('6 days', 'refused');
    // Still to publish (held by a writer for the next hour, so no relay takes it meanwhile): never pruned.
    const stillToPublish = await row('30 days', 'held');

    relay = new OutboxRelay(
      database.sql,
      new KafkaOutboxPublisher({ brokers: e2e.kafkaBrokers.split(','), clientId: 'outbox-retention-test' }),
      {
        databaseUrl: database.url,
        pollIntervalMs: 60_000,
        batchSize: 100,
        retentionDays: 7,
      },
    );
    await relay.start();

    await waitFor(
      'the rows older than the retention to be pruned',
      async () => (await remaining([publishedLongAgo, refusedLongAgo])).length === 0,
      30_000,
    );
    expect((await remaining([publishedRecently, refusedRecently, stillToPublish])).sort()).toEqual(
      [publishedRecently, refusedRecently, stillToPublish].sort(),
    );
    expect(await database.db.one(`SELECT published_at, refused_at FROM outbox_event WHERE id = $1`, [stillToPublish])).toEqual({
      published_at: null,
      refused_at: null,
    });
  });
});
