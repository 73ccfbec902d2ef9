import { Injectable } from '@nestjs/common';
import type { SqlDatabase, SqlExecutor, SqlStatement } from '#common';
import type pg from 'pg';
import { DataSource } from 'typeorm';

/**
 * Plain SQL over the connection pool TypeORM opened (one pool, one configuration). TypeORM keeps
 * the entities and migrations; the hot path sends short, named statements through here, without
 * query building, and with its own transactions.
 */
@Injectable()
export class Sql implements SqlDatabase {
  constructor(private readonly dataSource: DataSource) {}

  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    return run<Row>(this.pool, statement, values);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no 'error' listener of the pool's: a server that ends the connection
    // (restart, failover, pg_terminate_backend) would emit an unhandled 'error' and end the process.
    // The statement in progress, or the next one, fails by itself; the connection is not given back.
    const onConnectionLost = (error: Error) => (broken = error);
    client.on('error', onConnectionLost);
    try {
      await client.query('BEGIN');
      const result = await work({ query: (statement, values = []) => run(client, statement, values) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        // The connection itself failed: do not give it back to the pool.
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.removeListener('error', onConnectionLost);
      client.release(broken);
    }
  }

  private get pool(): pg.Pool {
    return (this.dataSource.driver as unknown as { master: pg.Pool }).master;
  }
}

async function run<Row>(target: pg.Pool | pg.PoolClient, statement: SqlStatement | string, values: unknown[]): Promise<Row[]> {
  const query = typeof statement === 'string' ? { text: statement, values } : { ...statement, values };
  const result = await target.query(query);
  return result.rows as Row[];
}
