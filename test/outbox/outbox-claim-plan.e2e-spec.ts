import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimUnpublished } from '#outbox';
import { planNodes } from '../support/query-plan.js';
import { e2e } from '../support/e2e-context.js';

/**
 * The relay claims a batch of unpublished rows oldest first. Unless an index gives the rows in
 * that order, PostgreSQL sorts the whole backlog for every batch (rows one transaction writes
 * share created_at): the larger the backlog, the slower it drains. Checked on the migrated schema,
 * with sequential scans priced out so that the plan shows what the indexes can do.
 */
describe('the outbox claim', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: e2e.databaseUrl });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
  });

  it('reads its batch from outbox_event_unpublished in the claim order, without sorting', async () => {
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL enable_seqscan = off');
      const nodes = await planNodes(client, claimUnpublished.text, [500]);

      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
      expect(nodes.find((node) => node['Node Type'] === 'Index Scan')?.['Index Name']).toBe('outbox_event_unpublished');
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
