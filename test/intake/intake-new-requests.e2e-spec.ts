import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../apps/resend-service/src/database/sql.js';
import { insertNewRequests, type NewRequestRow } from '../../apps/resend-service/src/intake/intake.sql.js';
import { statementTestDatabase, type StatementTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Intake's one-round-trip path inserts a batch of new requests without reading first: the unique
 * indexes must turn away exactly what the full decision would not record as new — a request
 * recorded before (requestId, Kafka record: position and fingerprint), a keyId a live request holds — and nothing else,
 * also when the row that conflicts is not committed yet. Checked on the real schema.
 */
const topic = `intake-new-requests-${randomUUID()}`;
let offset = 0;
let database: StatementTestDatabase;
let sql: Sql;
let db: TestDatabase;

// A database of its own: the pending rows these checks leave must never be claimed by a service
// another test file runs on the shared one.
beforeAll(async () => {
  database = await statementTestDatabase('intake_new');
  ({ sql, db } = database);
});

afterAll(() => database?.close());

/** A new, pending row as intake writes it, at the next offset of the topic's partition 0. */
function newRequest(overrides: Partial<NewRequestRow> = {}): NewRequestRow {
  const keyId = randomInt(1, 2 ** 47);
  return {
    id: randomUUID(),
    request_id: `intake-new-${randomUUID()}`,
    key_id: keyId,
    task_name: `task-${keyId}`,
    correlation_id: null,
    status: 'pending',
    payload: { keyId },
    provider_body: { keyId },
    body_fingerprint: `fingerprint-${keyId}`,
    provider_task_id: null,
    duplicate_of: null,
    error_code: null,
    error_message: null,
    error_category: null,
    finished: false,
    kafka_topic: topic,
    kafka_partition: 0,
    kafka_offset: String(offset++),
    kafka_record_fingerprint: randomBytes(32).toString('hex'),
    trace_parent: null,
    trace_state: null,
    ...overrides,
  };
}

/** As IntakeService sends it: BEGIN, the insert and COMMIT in one write; the ids inserted. */
async function insertNew(rows: NewRequestRow[]): Promise<string[]> {
  const { inserting } = await sql.transaction(async (transaction) => ({
    inserting: transaction.sendForRows<{ id: string }>(insertNewRequests, [JSON.stringify(rows)]),
  }));
  return (await inserting.read()).map((row) => row.id).sort();
}

async function recorded(rows: NewRequestRow[]): Promise<string[]> {
  const found = await db.rows<{ id: string }>(`SELECT id::text AS id FROM resend_request WHERE id = ANY($1::uuid[])`, [
    rows.map((row) => row.id),
  ]);
  return found.map((row) => row.id).sort();
}

/** Sets a recorded request's status directly, as its processing would have. */
async function setStatus(row: NewRequestRow, status: string): Promise<void> {
  await db.rows(`UPDATE resend_request SET status = $2, next_attempt_at = NULL WHERE id = $1`, [row.id, status]);
}

/** A pending row inserted on `client`, in its open transaction. */
async function insertPending(client: pg.Client, row: NewRequestRow): Promise<void> {
  await client.query(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset, next_attempt_at)
     VALUES ($1, $2, $3, 'pending', '{}', '{}', $4, $5, $6, now())`,
    [row.id, row.request_id, row.key_id, row.kafka_topic, row.kafka_partition, row.kafka_offset],
  );
}

/**
 * Inserts `batch` while another transaction holds an uncommitted pending row with the keyId of the
 * batch's first request, and ends that transaction with `end` once the insert waits for it.
 */
async function insertNewAgainstUncommittedRival(batch: NewRequestRow[], end: 'COMMIT' | 'ROLLBACK'): Promise<string[]> {
  const rival = new pg.Client({ connectionString: database.url });
  await rival.connect();
  try {
    await rival.query('BEGIN');
    await insertPending(rival, newRequest({ key_id: batch[0]!.key_id }));
    const inserting = insertNew(batch);
    await untilTheInsertWaits();
    await rival.query(end);
    return await inserting;
  } finally {
    await rival.end();
  }
}

/** The only statement that can wait for a lock here is the insert under test (the rival's transaction is idle). */
function untilTheInsertWaits(): Promise<unknown> {
  return waitFor(
    'the insert to wait for the uncommitted row',
    async () => {
      const waiting = await db.one<{ count: number }>(
        `SELECT count(*)::integer AS count FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO resend_request%' AND datname = current_database()`,
      );
      return waiting!.count > 0;
    },
    10_000,
  );
}

describe('insertNewRequests: new requests in one round trip, the unique indexes deciding what is not new', () => {
  it('inserts every request of a fresh batch', async () => {
    const batch = [newRequest(), newRequest(), newRequest()];

    expect(await insertNew(batch)).toEqual(batch.map((row) => row.id).sort());
    expect(await recorded(batch)).toEqual(batch.map((row) => row.id).sort());
  });

  it('turns away a request recorded before, by requestId or by Kafka record (position and fingerprint), and inserts the rest', async () => {
    const [first, second] = [newRequest(), newRequest()];
    await insertNew([first, second]);
    const sameRequestId = newRequest({ request_id: first.request_id });
    const sameRecord = newRequest({ kafka_offset: second.kafka_offset, kafka_record_fingerprint: second.kafka_record_fingerprint });
    const fresh = newRequest();

    expect(await insertNew([sameRequestId, sameRecord, fresh])).toEqual([fresh.id]);
    expect(await recorded([sameRequestId, sameRecord])).toEqual([]);
  });

  it('inserts a new record at a position used before (the topic deleted and created again): another fingerprint', async () => {
    const [old, oldWithoutFingerprint] = [newRequest(), newRequest()];
    await insertNew([old]);
    // A row recorded before fingerprints were kept.
    await db.rows(
      `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, $2, $3, 'failed', '{}', '{}', $4, $5, $6)`,
      [
        oldWithoutFingerprint.id,
        oldWithoutFingerprint.request_id,
        oldWithoutFingerprint.key_id,
        topic,
        0,
        oldWithoutFingerprint.kafka_offset,
      ],
    );
    const atUsedPositions = [
      newRequest({ kafka_offset: old.kafka_offset }),
      newRequest({ kafka_offset: oldWithoutFingerprint.kafka_offset }),
    ];

    expect(await insertNew(atUsedPositions)).toEqual(atUsedPositions.map((row) => row.id).sort());
  });

  it('turns away a keyId a pending, in-progress or completed request holds, and takes one whose request failed', async () => {
    const holders = { pending: newRequest(), in_progress: newRequest(), completed: newRequest(), failed: newRequest() };
    await insertNew(Object.values(holders));
    await setStatus(holders.in_progress, 'in_progress');
    await setStatus(holders.completed, 'completed');
    await setStatus(holders.failed, 'failed');
    const repeats = Object.values(holders).map((holder) => newRequest({ key_id: holder.key_id }));

    expect(await insertNew(repeats)).toEqual([repeats[3]!.id]);
  });

  it('waits for a conflicting row another transaction has not committed, then turns it away once that commits', async () => {
    const [sameKeyId, fresh] = [newRequest(), newRequest()];

    expect(await insertNewAgainstUncommittedRival([sameKeyId, fresh], 'COMMIT')).toEqual([fresh.id]);
  });

  it('inserts a row whose uncommitted rival rolls back', async () => {
    const sameKeyId = newRequest();

    expect(await insertNewAgainstUncommittedRival([sameKeyId], 'ROLLBACK')).toEqual([sameKeyId.id]);
  });
});
