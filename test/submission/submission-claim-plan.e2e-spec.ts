import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { claimAndMarkInFlight, claimInIndexOrder } from '../../apps/resend-service/src/submission/submission.sql.js';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { RequestClaims } from '../../apps/resend-service/src/submission/request-claims.js';
import { IsolatedDatabase } from '../support/database.js';
import { planNodes } from '../support/query-plan.js';
import { waitFor } from '../support/wait-for.js';

const BACKLOG = 5_000;

/**
 * The worker's claim takes the first due requests in resend_request_claim_order. Right after a
 * backlog arrives in a table PostgreSQL has not analyzed yet, the planner takes the due rows for a
 * handful and would read and sort all of them for every claim (measured at 9–17 ms a claim with
 * 20,000 pending; the bench's service spent most of its database time there). Checked on a new,
 * migrated database that has never been analyzed, as RequestClaims sends the claim.
 */
describe('the submission claim on a backlog the planner has no statistics for', () => {
  let isolated: IsolatedDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    isolated = await IsolatedDatabase.create('claim_plan');
    const migrating = await new DataSource(dataSourceOptions(isolated.url, 1)).initialize();
    await migrating.runMigrations();
    await migrating.destroy();
    client = new pg.Client({ connectionString: isolated.url });
    await client.connect();
    await client.query(
      `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, next_attempt_at, kafka_topic, kafka_partition, kafka_offset)
       SELECT gen_random_uuid(), 'claim-plan-' || n, n, 'pending', '{}', '{}', now() - interval '1 hour' + n * interval '1 ms', 'claim-plan', 0, n
         FROM generate_series(1, $1::integer) AS n`,
      [BACKLOG],
    );
  });

  afterAll(async () => {
    await client?.end();
    await isolated?.drop();
  });

  it('walks resend_request_claim_order from its head, without sorting the backlog', async () => {
    const { rows } = await client.query<{ analyzed: boolean }>(
      `SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'resend_request'`,
    );
    expect(rows[0]!.analyzed).toBe(false);

    await client.query('BEGIN');
    try {
      await client.query(claimInIndexOrder);
      const nodes = await planNodes(client, claimAndMarkInFlight.text, ['claim-plan/1', 60_000, 32, 5, 21_600_000, 20_000]);

      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
      expect(nodes.find((node) => node['Node Type'] === 'Index Scan' && node['Index Name'] !== 'resend_request_pkey')?.['Index Name']).toBe(
        'resend_request_claim_order',
      );
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('is what RequestClaims runs: the claim reads a few index entries, not the whole backlog', async () => {
    const dataSource = await new DataSource(dataSourceOptions(isolated.url, 1)).initialize();
    let claimed: { requestId: string }[];
    try {
      const config = loadConfig({ ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret', INSTANCE_ID: 'claim-plan-test' });
      claimed = await new RequestClaims(new Sql(dataSource), config).claim(32);
    } finally {
      // A closing session reports its statistics at once (an idle one only after 10 s).
      await dataSource.destroy();
    }
    expect(claimed.map((request) => request.requestId)).toEqual(Array.from({ length: 32 }, (_, index) => `claim-plan-${index + 1}`));
    // Sorting the backlog would read every one of its entries from the index (a bitmap scan).
    const entriesRead = await waitFor(
      'the claim to show in the index statistics',
      async () => {
        const { rows } = await client.query<{ read: string }>(
          `SELECT idx_tup_read AS read FROM pg_stat_user_indexes WHERE indexrelname = 'resend_request_claim_order'`,
        );
        return Number(rows[0]!.read) > 0 ? Number(rows[0]!.read) : undefined;
      },
      20_000,
    );
    expect(entriesRead).toBeLessThan(BACKLOG / 10);
  });
});
