import type pg from 'pg';
import { PipelinedTransaction, runStatement } from './pipelined-transaction.js';
import type { SqlDatabase, SqlStatement, SqlTransaction } from './sql-port.js';

/**
 * The port over a pg pool whose connections are in pg's pipeline mode (`pipeline: true`): BEGIN
 * goes out with a transaction's first statement, COMMIT with its last. `pool` is asked for on
 * each use: the pool of a connection that opens later (TypeORM's DataSource) can be passed.
 */
export class PgSqlDatabase implements SqlDatabase {
  constructor(private readonly pool: () => pg.Pool) {}

  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    return runStatement<Row>(this.pool(), statement, values);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws or a statement it sent fails. */
  async transaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T> {
    const connection = await this.checkOut();
    const transaction = new PipelinedTransaction(connection.client);
    try {
      transaction.begin();
      const result = await work(transaction);
      await transaction.commit();
      return result;
    } catch (error) {
      await connection.rollBack(transaction);
      throw await transaction.causeOf(error);
    } finally {
      connection.release();
    }
  }

  /** A connection of the pool, with what a transaction on it needs for failures; release() once. */
  private async checkOut() {
    const client = await this.pool().connect();
    let broken: Error | undefined;
    // A checked-out client has no 'error' listener of the pool's: a server that ends the connection
    // (restart, failover, pg_terminate_backend) would emit an unhandled 'error' and end the process.
    // The statement in progress, or the next one, fails by itself; the connection is not given back.
    const onConnectionLost = (error: Error) => (broken = error);
    client.on('error', onConnectionLost);
    return {
      client,
      /** After a failure: waits until the connection is idle, then rolls back what is open. */
      rollBack: async (transaction: PipelinedTransaction) => {
        await transaction.settled();
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          // The connection itself failed: do not give it back to the pool.
          broken = rollbackError;
        });
      },
      release: () => {
        client.removeListener('error', onConnectionLost);
        client.release(broken);
      },
    };
  }
}
