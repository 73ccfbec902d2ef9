import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dataSourceOptions } from '../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../apps/resend-service/src/database/sql.js';
import { TestDatabase } from './support/database.js';
import { waitFor } from './support/wait-for.js';

/**
 * The hot path's transactions (Sql.transaction) hold a connection between statements. When the
 * server ends that connection — a restart, a failover, pg_terminate_backend — the transaction
 * must fail like any other database error, never end the process with an unhandled 'error'
 * event (it did, in the PostgreSQL outage scenario of the fault suite), and the pool must go on.
 */
describe('Sql: a connection ended by the server during a transaction', () => {
  let dataSource: DataSource;
  let sql: Sql;
  let admin: TestDatabase;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(inject('databaseUrl'), 2)).initialize();
    sql = new Sql(dataSource);
    admin = new TestDatabase();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await admin?.close();
  });

  it('fails the transaction (no unhandled error), and the next transaction runs on a new connection', async () => {
    let backendPid = 0;
    const transaction = sql.transaction(async (tx) => {
      const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      backendPid = row!.pid;
      // Between two statements, as while a batch is being decided: the server ends the connection now.
      await admin.rows('SELECT pg_terminate_backend($1)', [backendPid]);
      await waitFor(
        `backend ${backendPid} to be gone`,
        async () => (await admin.rows('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backendPid])).length === 0,
        10_000,
        20,
      );
      return tx.query('SELECT 1 AS one');
    });
    await expect(transaction).rejects.toThrow();

    const [after] = await sql.transaction((tx) => tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
    expect(after!.pid).not.toBe(backendPid);
  });
});
