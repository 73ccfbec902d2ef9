import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AfterCommit } from '#sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { e2e } from '../support/e2e-context.js';

let dataSource: DataSource;
let sql: Sql;
let admin: TestDatabase;

beforeAll(async () => {
  dataSource = await new DataSource(dataSourceOptions(e2e.databaseUrl, 2)).initialize();
  sql = new Sql(dataSource);
  admin = new TestDatabase();
});

afterAll(async () => {
  await dataSource?.destroy();
  await admin?.close();
});

/** A table of labels for the describe block that calls this (created before it, dropped after), and a reader of its labels. */
function useProbeTable(name: string): { table: string; labels: (prefix: string) => Promise<string[]> } {
  const table = `${name}_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    await admin.rows(`CREATE TABLE ${table} (label text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await admin?.rows(`DROP TABLE IF EXISTS ${table}`);
  });
  const labels = async (prefix: string) =>
    (await admin.rows<{ label: string }>(`SELECT label FROM ${table} WHERE label LIKE $1 ORDER BY label`, [`${prefix}%`])).map(
      (row) => row.label,
    );
  return { table, labels };
}

/**
 * Sql.transaction pipelines: statements go out without waiting for each other, and `send` leaves
 * a statement's answer to the COMMIT behind it. Whatever goes out that way must still be all or
 * nothing: committed together, or rolled back together with the error that caused it.
 */
describe('Sql.transaction: pipelined statements', () => {
  const { table, labels } = useProbeTable('sql_pipeline_probe');
  const insertLabel = { name: 'probe.insert-label', text: `INSERT INTO ${table} (label) VALUES ($1)` };

  it('commits statements that were sent and never awaited, with the ones that were', async () => {
    const result = await sql.transaction(async (tx) => {
      const [row] = await tx.query<{ label: string }>(`INSERT INTO ${table} (label) VALUES ('a-1') RETURNING label`);
      tx.send(insertLabel, ['a-2']);
      tx.send(`INSERT INTO ${table} (label) VALUES ('a-3')`);
      return row!.label;
    });

    expect(result).toBe('a-1');
    expect(await labels('a-')).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('hands over the rows of a statement sent for later once the transaction has committed', async () => {
    const { claimed } = await sql.transaction(async (tx) => {
      tx.send(insertLabel, ['f-1']);
      return { claimed: tx.sendForRows<{ label: string }>(`INSERT INTO ${table} (label) VALUES ('f-2') RETURNING label`) };
    });

    expect(await claimed.read()).toEqual([{ label: 'f-2' }]);
    expect(await labels('f-')).toEqual(['f-1', 'f-2']);
  });

  it('refuses to hand over the rows of a statement sent for later inside its transaction', async () => {
    let readInside: unknown;
    const { claimed } = await sql.transaction(async (tx) => {
      const claimed = tx.sendForRows<{ label: string }>(`INSERT INTO ${table} (label) VALUES ('h-1') RETURNING label`);
      readInside = (() => {
        try {
          return claimed.read();
        } catch (error) {
          return error;
        }
      })();
      return { claimed };
    });

    expect(readInside).toMatchObject({ message: expect.stringMatching(/before their transaction committed/) });
    expect(await claimed.read()).toEqual([{ label: 'h-1' }]);
  });

  it('fails a transaction whose statement sent for later fails, with its error, and hands over no rows', async () => {
    let claimed: AfterCommit<unknown[]> | undefined;
    const transaction = sql.transaction(async (tx) => {
      tx.send(insertLabel, ['g-1']);
      claimed = tx.sendForRows(`SELECT 1 / 0 AS never`);
      return 'done';
    });

    await expect(transaction).rejects.toMatchObject({ code: '22012' });
    expect(() => claimed!.read()).toThrow(/before their transaction committed/);
    expect(await labels('g-')).toEqual([]);
  });

  it('rolls everything back when a sent statement fails, and fails with that statement’s error', async () => {
    await admin.rows(`INSERT INTO ${table} (label) VALUES ('b-taken')`);

    const transaction = sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} (label) VALUES ('b-1')`);
      tx.send(insertLabel, ['b-taken']);
      tx.send(`INSERT INTO ${table} (label) VALUES ('b-2')`);
      return 'done';
    });

    await expect(transaction).rejects.toMatchObject({ code: '23505' });
    expect(await labels('b-')).toEqual(['b-taken']);
  });

  it('fails with the error of a sent statement, not the "transaction is aborted" (25P02) a later awaited one got behind it', async () => {
    await admin.rows(`INSERT INTO ${table} (label) VALUES ('g-taken')`);

    const transaction = sql.transaction(async (tx) => {
      tx.send(insertLabel, ['g-taken']);
      // Runs after the failed insert: the server answers it only with 25P02.
      await tx.query(`INSERT INTO ${table} (label) VALUES ('g-1')`);
    });

    await expect(transaction).rejects.toMatchObject({ code: '23505' });
    expect(await labels('g-')).toEqual(['g-taken']);
  });

  it('does not commit when the work swallowed the error of a statement it awaited', async () => {
    const transaction = sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} (label) VALUES ('c-1')`);
      await tx.query('SELECT 1 / 0').catch(() => undefined);
      tx.send(`INSERT INTO ${table} (label) VALUES ('c-2')`);
    });

    await expect(transaction).rejects.toMatchObject({ code: '22012' });
    expect(await labels('c-')).toEqual([]);
  });

  it('prepares a named statement afresh when its first use was refused by a failed transaction', async () => {
    // The server refuses the statement's preparation in the aborted transaction; a client that
    // counted it as prepared would fail every later use on that connection.
    const insertAfterFailure = { name: 'probe.insert-after-failure', text: `INSERT INTO ${table} (label) VALUES ($1)` };
    const failed = sql.transaction(async (tx) => {
      tx.send('SELECT 1 / 0');
      tx.send(insertAfterFailure, ['e-0']);
    });
    await expect(failed).rejects.toMatchObject({ code: '22012' });

    // Both of the pool's connections: the one the failure happened on is the first one handed out again.
    await Promise.all(['e-1', 'e-2'].map((label) => sql.transaction(async (tx) => tx.send(insertAfterFailure, [label]))));
    expect(await labels('e-')).toEqual(['e-1', 'e-2']);
  });

  it('rolls back what was sent when the work throws, and the connection serves the next transaction', async () => {
    const transaction = sql.transaction(async (tx) => {
      tx.send(`INSERT INTO ${table} (label) VALUES ('d-1')`);
      throw new Error('decided against it');
    });

    await expect(transaction).rejects.toThrow('decided against it');
    expect(await labels('d-')).toEqual([]);
    // Outside a transaction a statement is its own one, so now() is its own start; a connection
    // left inside the failed transaction would answer with that one's start, or an error.
    const [idle] = await sql.query<{ own: boolean }>('SELECT now() = statement_timestamp() AS own');
    expect(idle!.own).toBe(true);
  });
});

/**
 * The hot path's transactions (Sql.transaction) hold a connection between statements. When the
 * server ends that connection — a restart, a failover, pg_terminate_backend — the transaction
 * must fail like any other database error, never end the process with an unhandled 'error'
 * event (it did, in the PostgreSQL outage scenario of the fault suite), and the pool must go on.
 */
describe('Sql: a connection ended by the server during a transaction', () => {
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
