import { randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { migrations } from '../../migrations/index.js';
import { IsolatedDatabase, TestDatabase } from '../support/database.js';

/**
 * `resend_request.has_repeats` decides whether the end of a request looks for repeats to answer
 * (ResultRecorder). It is set by a trigger when a repeat is recorded to wait for its original,
 * and by its migration for repeats already waiting. A flag left unset would leave a repeat
 * without an outcome, so both are checked on the real schema.
 */
const topic = `repeat-flag-${randomUUID()}`;
let offset = 0;

/** A row as intake writes it, reduced to the columns these checks need. */
function insertRow(
  db: TestDatabase,
  row: { status: string; keyId: number; duplicateOf?: string; finished?: boolean },
): Promise<{ id: string; has_repeats: boolean } | undefined> {
  return db.one(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, duplicate_of, finished_at,
                                 kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, $4, '{}', '{}', $5, CASE WHEN $6 THEN now() END, $7, 0, $8)
     RETURNING id, has_repeats`,
    [randomUUID(), `repeat-flag-${randomUUID()}`, row.keyId, row.status, row.duplicateOf ?? null, row.finished ?? false, topic, offset++],
  );
}

async function hasRepeats(db: TestDatabase, id: string): Promise<boolean> {
  return (await db.one<{ has_repeats: boolean }>('SELECT has_repeats FROM resend_request WHERE id = $1', [id]))!.has_repeats;
}

const newKeyId = () => randomInt(1, 2 ** 47);

describe('has_repeats, the flag that makes the end of a request answer its repeats', () => {
  let db: TestDatabase;

  beforeAll(() => {
    db = new TestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('is set on the original when a repeat is recorded to wait for it', async () => {
    const keyId = newKeyId();
    const original = await insertRow(db, { status: 'in_progress', keyId });
    expect(original!.has_repeats).toBe(false);
    await insertRow(db, { status: 'duplicate', keyId, duplicateOf: original!.id });
    expect(await hasRepeats(db, original!.id)).toBe(true);
  });

  it('is not set by a repeat answered at once, nor by a conflicting request', async () => {
    const keyId = newKeyId();
    const original = await insertRow(db, { status: 'completed', keyId, finished: true });
    await insertRow(db, { status: 'duplicate', keyId, duplicateOf: original!.id, finished: true });
    await insertRow(db, { status: 'failed', keyId, duplicateOf: original!.id, finished: true });
    expect(await hasRepeats(db, original!.id)).toBe(false);
  });
});

describe('has_repeats migration', () => {
  let isolated: IsolatedDatabase;
  let dataSource: DataSource | undefined;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    isolated = await IsolatedDatabase.create('repeat_flag');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
    await isolated?.drop();
  });

  it('flags the requests that repeats already wait for, and no other', async () => {
    // The schema as it was just before this migration; the rest of them run below.
    const flagging = migrations.findIndex((migration) => migration.name === 'RepeatsFlaggedOnOriginal1764400400000');
    expect(flagging).toBeGreaterThan(0);
    const before = await new DataSource({ ...dataSourceOptions(isolated.url, 1), migrations: migrations.slice(0, flagging) }).initialize();
    await before.runMigrations();
    await before.destroy();

    db = new TestDatabase(isolated.url);
    const keyId = newKeyId();
    const waitedFor = (await db.one<{ id: string }>(
      `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, 'waited-for', $2, 'pending', '{}', '{}', $3, 0, 0) RETURNING id`,
      [randomUUID(), keyId, topic],
    ))!.id;
    const alone = (await db.one<{ id: string }>(
      `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, 'alone', $2, 'pending', '{}', '{}', $3, 0, 1) RETURNING id`,
      [randomUUID(), newKeyId(), topic],
    ))!.id;
    await db.rows(
      `INSERT INTO resend_request (id, request_id, key_id, status, payload, duplicate_of, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, 'repeat', $2, 'duplicate', '{}', $3, $4, 0, 2)`,
      [randomUUID(), keyId, waitedFor, topic],
    );

    dataSource = await new DataSource(dataSourceOptions(isolated.url, 1)).initialize();
    await dataSource.runMigrations();
    expect(await hasRepeats(db, waitedFor)).toBe(true);
    expect(await hasRepeats(db, alone)).toBe(false);
  });
});
