import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimUnpublished, inWriteOrder, releaseHeldBehindEarlier } from '#outbox';
import { statementTestDatabase, type StatementTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The events of one topic and key are published in the order they were written (`seq`): a relay's
 * claim skips a row while an earlier row of its key is unpublished outside its batch — locked by
 * another relay, held by its writer — and a writer releases to the relays the held rows an earlier
 * row of their key must precede instead of publishing them itself. Checked on the real schema,
 * with a second connection standing for another relay.
 */
let database: StatementTestDatabase;
let db: TestDatabase;
let relay: pg.Client;
let otherRelay: pg.Client;
let topic: string;
const names = new Map<string, string>();

// A database of its own: the claim sees every unpublished row, and no service may publish these.
beforeAll(async () => {
  database = await statementTestDatabase('outbox_key_order');
  db = database.db;
  relay = new pg.Client({ connectionString: database.url });
  otherRelay = new pg.Client({ connectionString: database.url });
  await Promise.all([relay.connect(), otherRelay.connect()]);
});

afterAll(async () => {
  await Promise.all([relay?.end(), otherRelay?.end()]);
  await database?.close();
});

beforeEach(async () => {
  topic = `key-order-${randomUUID()}`;
  await db.rows(`UPDATE outbox_event SET published_at = now() WHERE published_at IS NULL`);
});

/** Writes a row (committed at once, so in this order); `key` null: no key. */
async function written(name: string, key: string | null, { held = false } = {}): Promise<string> {
  const id = randomUUID();
  await db.rows(`INSERT INTO outbox_event (id, topic, message_key, message_value, held_until) VALUES ($1, $2, $3, $4, $5)`, [
    id,
    topic,
    key === null ? null : Buffer.from(key),
    Buffer.from(name),
    held ? new Date(Date.now() + 60_000) : null,
  ]);
  names.set(id, name);
  return id;
}

/** What a relay's claim would publish now, in the order it publishes it (rolled back: nothing is claimed). */
async function claimed(): Promise<string[]> {
  await relay.query('BEGIN');
  try {
    const { rows } = await relay.query<{ id: string; seq: string; topic: string }>({ text: claimUnpublished.text, values: [500] });
    return inWriteOrder(rows.filter((row) => row.topic === topic)).map((row) => names.get(row.id)!);
  } finally {
    await relay.query('ROLLBACK');
  }
}

/** Runs `check` while the other relay holds `id` (claimed in its open transaction). */
async function whileOtherRelayHolds<T>(id: string, check: () => Promise<T>): Promise<T> {
  await otherRelay.query('BEGIN');
  try {
    await otherRelay.query('SELECT 1 FROM outbox_event WHERE id = $1 FOR UPDATE', [id]);
    return await check();
  } finally {
    await otherRelay.query('ROLLBACK');
  }
}

describe('the outbox publishes the events of a key in the order they were written', () => {
  it('claims a free backlog whole, in write order', async () => {
    await written('k1 first', 'k1');
    await written('k1 second', 'k1');
    await written('k2', 'k2');
    await written('no key', null);

    expect(await claimed()).toEqual(['k1 first', 'k1 second', 'k2', 'no key']);
  });

  it('skips the later rows of a key while another relay holds an earlier one, and only those', async () => {
    const first = await written('k1 first', 'k1');
    await written('k1 second', 'k1');
    await written('k2', 'k2');
    await written('no key', null);

    expect(await whileOtherRelayHolds(first, claimed)).toEqual(['k2', 'no key']);
  });

  it('skips the rows behind a row another relay holds, not those before it', async () => {
    await written('k1 first', 'k1');
    const second = await written('k1 second', 'k1');
    await written('k1 third', 'k1');

    expect(await whileOtherRelayHolds(second, claimed)).toEqual(['k1 first']);
  });

  it('skips the later rows of a key while its writer holds an earlier one; a refused row holds nothing up', async () => {
    const first = await written('k1 first', 'k1', { held: true });
    await written('k1 second', 'k1');

    expect(await claimed()).toEqual([]);

    await db.rows(`UPDATE outbox_event SET held_until = NULL, refused_at = now() WHERE id = $1`, [first]);
    expect(await claimed()).toEqual(['k1 second']);
  });

  it('orders the rows of a key by when they were written, not by when their transaction began', async () => {
    // The first transaction begins, and writes only after the second committed (as an intake that
    // waited for the row lock of the finish it answers): its row comes after.
    const early = new pg.Client({ connectionString: database.url });
    await early.connect();
    try {
      await early.query('BEGIN');
      await early.query('SELECT now()');
      await written('k1 committed first', 'k1');
      const id = randomUUID();
      names.set(id, 'k1 began first');
      await early.query(`INSERT INTO outbox_event (id, topic, message_key, message_value) VALUES ($1, $2, $3, $4)`, [
        id,
        topic,
        Buffer.from('k1'),
        Buffer.from('x'),
      ]);
      await early.query('COMMIT');
    } finally {
      await early.end();
    }

    expect(await claimed()).toEqual(['k1 committed first', 'k1 began first']);
  });

  it('a writer releases the held rows an earlier unpublished row of their key must precede, not its own rows behind each other', async () => {
    await written('k1 unpublished', 'k1');
    const behind = await written('k1 held', 'k1', { held: true });
    const own = [await written('k3 held first', 'k3', { held: true }), await written('k3 held second', 'k3', { held: true })];

    const released = await db.rows<{ id: string }>(releaseHeldBehindEarlier.text, [[behind, ...own]]);

    expect(released.map((row) => names.get(row.id))).toEqual(['k1 held']);
    expect(await claimed()).toEqual(['k1 unpublished', 'k1 held']);
  });
});
