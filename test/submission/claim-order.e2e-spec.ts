import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { stepAfterClaim } from '../../apps/resend-service/src/submission/next-step.js';
import { RequestClaims } from '../../apps/resend-service/src/submission/request-claims.js';
import { TestDatabase } from '../support/database.js';
import { e2e } from '../support/e2e-context.js';

/**
 * With the provider call budget spent on a long queue of new submissions, requests that need a
 * lookup (their last outcome is unknown) must still get their turn: the claim serves them first.
 */
describe('claim order: lookups after unknown outcomes before new submissions', () => {
  let dataSource: DataSource;
  let db: TestDatabase;
  const ids: string[] = [];

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(e2e.databaseUrl, 2)).initialize();
    db = new TestDatabase();
  });

  afterAll(async () => {
    await db?.rows(`DELETE FROM submission_attempt WHERE request_id = ANY($1)`, [ids]);
    await db?.rows(`DELETE FROM resend_request WHERE id = ANY($1)`, [ids]);
    await db?.close();
    await dataSource?.destroy();
  });

  it('claims a due request with an unknown outcome before older new submissions', async () => {
    // New submissions due since long ago, and one request due just now whose outcome is unknown.
    for (let index = 0; index < 5; index += 1) await insertPending(false, new Date(Date.UTC(2000, 0, 1, 0, 0, index)));
    const unknown = await insertPending(true, new Date(Date.now() - 1_000));
    const claims = new RequestClaims(
      new Sql(dataSource),
      loadConfig({
        ITNIOTECH_API_KEY: 'key',
        ITNIOTECH_API_SECRET: 'secret',
        INSTANCE_ID: 'claim-order-test',
        SUBMISSION_LEASE_MS: '1000',
      }),
    );

    const [first] = await claims.claim(1);

    // Another file's leftover request with an unknown outcome could come first; either way the
    // claim took one that needs a lookup, not one of the year-2000 submissions.
    expect(first?.lastOutcomeUnknown).toBe(true);
    if (first?.id !== unknown) console.log(`claim-order: claimed a leftover request ${first?.requestId} with an unknown outcome`);
  });

  it('gives up a request still waiting SUBMISSION_MAX_AGE_MS after it was received: claimed without a call, to fail retries_exhausted', async () => {
    const maxAgeMs = 3_600_000;
    const longAgo = new Date(Date.UTC(1990, 0, 1));
    const tooOld = await insertPending(false, longAgo, new Date(Date.now() - maxAgeMs - 60_000));
    const young = await insertPending(false, longAgo, new Date(Date.now() - maxAgeMs + 600_000));
    const claims = new RequestClaims(
      new Sql(dataSource),
      loadConfig({
        ITNIOTECH_API_KEY: 'key',
        ITNIOTECH_API_SECRET: 'secret',
        INSTANCE_ID: 'claim-order-test',
        SUBMISSION_MAX_AGE_MS: String(maxAgeMs),
      }),
    );

    // Both are due since 1990: one claim takes them, whatever else of this file is due.
    const claimed = await claims.claim(100);
    const old = claimed.find((request) => request.id === tooOld);
    const fresh = claimed.find((request) => request.id === young);

    expect(old).toMatchObject({ exhausted: true, attempts: 0, submitAttemptId: null });
    expect(stepAfterClaim(old!)).toMatchObject({ kind: 'fail', failure: { category: 'retries_exhausted' } });
    expect(fresh).toMatchObject({ exhausted: false, attempts: 1, submitAttemptId: expect.any(String) });
    expect(stepAfterClaim(fresh!)).toEqual({ kind: 'submit' });
    // No call is on its way for the old one: no in-flight mark, no attempt row.
    const rows = await db.rows<{ id: string; outcome_unknown: boolean; calls: string }>(
      `SELECT r.id, r.outcome_unknown, (SELECT count(*) FROM submission_attempt a WHERE a.request_id = r.id) AS calls
         FROM resend_request r WHERE r.id = ANY($1)`,
      [[tooOld, young]],
    );
    expect(rows.find((row) => row.id === tooOld)).toMatchObject({ outcome_unknown: false, calls: '0' });
    expect(rows.find((row) => row.id === young)).toMatchObject({ outcome_unknown: true, calls: '1' });
  });

  it('the database refuses a claimable request without its provider body: such a row, edited in by hand, would fail every claim that reached it', async () => {
    const client = new pg.Client({ connectionString: e2e.databaseUrl });
    await client.connect();
    const statement = async (text: string, values: unknown[]) => {
      await client.query('SAVEPOINT attempt');
      const outcome = await client.query(text, values).then(
        () => 'accepted',
        (error: { code?: string; constraint?: string }) => `${error.code} ${error.constraint}`,
      );
      await client.query('ROLLBACK TO SAVEPOINT attempt');
      return outcome;
    };
    const insert = (status: string, providerBody: string | null) =>
      statement(
        `INSERT INTO resend_request (request_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset)
         VALUES ($1, $2, '{}', $3, 'claim-order-test', 0, (random() * 1e12)::bigint)`,
        [`claim-order-${randomUUID()}`, status, providerBody],
      );
    const refused = '23514 resend_request_claimable_has_provider_body';
    try {
      await client.query('BEGIN');
      expect(await insert('pending', null)).toBe(refused);
      expect(await insert('in_progress', null)).toBe(refused);
      expect(await insert('pending', '{}')).toBe('accepted');
      // A request that failed validation has no body to send, and needs none.
      expect(await insert('failed', null)).toBe('accepted');

      const [failed] = (
        await client.query<{ id: string }>(
          `INSERT INTO resend_request (request_id, status, payload, kafka_topic, kafka_partition, kafka_offset)
           VALUES ($1, 'failed', '{}', 'claim-order-test', 0, (random() * 1e12)::bigint) RETURNING id`,
          [`claim-order-${randomUUID()}`],
        )
      ).rows;
      expect(await statement(`UPDATE resend_request SET status = 'pending' WHERE id = $1`, [failed!.id])).toBe(refused);
      expect(await statement(`UPDATE resend_request SET status = 'pending', provider_body = '{}' WHERE id = $1`, [failed!.id])).toBe(
        'accepted',
      );
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });

  async function insertPending(outcomeUnknown: boolean, nextAttemptAt: Date, receivedAt = new Date()): Promise<string> {
    const id = randomUUID();
    ids.push(id);
    await db.rows(
      `INSERT INTO resend_request (id, request_id, status, payload, provider_body, outcome_unknown, next_attempt_at, received_at, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, $2, 'pending', '{}', '{}', $3, $4, $5, 'claim-order-test', 0, (random() * 1e12)::bigint)`,
      [id, `claim-order-${id}`, outcomeUnknown, nextAttemptAt, receivedAt],
    );
    return id;
  }
});
