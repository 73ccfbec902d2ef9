import { Injectable } from '@nestjs/common';
import type { SqlDatabase, SqlStatement, SqlTransaction } from '#common';
import type { Writable } from 'node:stream';
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

  /**
   * Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it
   * throws or a statement it sent fails. The pool's connections are in pg's pipeline mode
   * (data-source-options.ts): BEGIN goes out with the work's first statement, COMMIT with its last.
   */
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
    const client = await this.pool.connect();
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

  private get pool(): pg.Pool {
    return (this.dataSource.driver as unknown as { master: pg.Pool }).master;
  }
}

/**
 * Keeps every statement a transaction sent: COMMIT goes out behind them, and none of their
 * failures is lost. Statements nobody waits for yet are held in the socket (corked) and leave
 * with the next one that is waited for, or with COMMIT: one write, one packet for the server to
 * wake up to, instead of one each (on a small machine each write costs as much as a statement).
 */
class PipelinedTransaction implements SqlTransaction {
  private readonly sent: Promise<unknown>[] = [];
  private readonly socket: Pick<Writable, 'cork' | 'uncork'> | undefined;
  private holding = false;
  constructor(private readonly client: pg.PoolClient) {
    this.socket = (client as unknown as { connection?: { stream?: Writable } }).connection?.stream;
  }

  begin(): void {
    this.send('BEGIN');
  }

  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    const answer = this.track(run<Row>(this.client, statement, values));
    this.flush();
    return answer;
  }

  send(statement: SqlStatement | string, values: unknown[] = []): void {
    void this.sendForRows(statement, values);
  }

  sendForRows<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    this.hold();
    return this.track(run<Row>(this.client, statement, values));
  }

  /**
   * Sends COMMIT and waits for it and everything sent before it. After a failed statement the
   * server answers COMMIT with ROLLBACK: the statement's error is what this throws.
   */
  async commit(): Promise<void> {
    const committed = this.sendCommit();
    this.flush();
    await committed;
  }

  private async sendCommit(): Promise<void> {
    this.hold();
    const committing = this.client.query('COMMIT');
    const outcomes = await Promise.allSettled([...this.sent, committing]);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    const commit = outcomes.at(-1) as PromiseFulfilledResult<pg.QueryResult>;
    if (commit.value.command !== 'COMMIT') throw new Error(`the transaction ended with ${commit.value.command}, not COMMIT`);
  }

  /**
   * What failed the transaction: for a statement answered only "current transaction is aborted"
   * (25P02), the error of the statement sent before it that failed — what a caller can act on
   * (a NUL in the data, a unique race); otherwise `error` itself. Call once every statement is settled.
   */
  async causeOf(error: unknown): Promise<unknown> {
    if ((error as { code?: unknown } | null)?.code !== '25P02') return error;
    const outcomes = await Promise.allSettled(this.sent);
    const first = outcomes.find((outcome) => outcome.status === 'rejected');
    return first ? first.reason : error;
  }

  /** Resolves once every statement sent has been answered, whatever the answer: the connection is idle again. */
  async settled(): Promise<void> {
    this.flush();
    await Promise.allSettled(this.sent);
  }

  private hold(): void {
    if (this.holding || !this.socket) return;
    this.socket.cork();
    this.holding = true;
  }

  private flush(): void {
    if (!this.holding) return;
    this.holding = false;
    this.socket!.uncork();
  }

  private track<T>(sending: Promise<T>): Promise<T> {
    // Reported by commit(), or to the work that awaits it; never an unhandled rejection.
    sending.catch(() => undefined);
    this.sent.push(sending);
    return sending;
  }
}

async function run<Row>(target: pg.Pool | pg.PoolClient, statement: SqlStatement | string, values: unknown[]): Promise<Row[]> {
  // Spelled out, not `{ ...statement, values }`: on Node 20, keys added after a spread give each
  // object a hidden class of its own, garbage that fills the old generation (docs/performance.md).
  const query = typeof statement === 'string' ? { text: statement, values } : { name: statement.name, text: statement.text, values };
  const result = await target.query(query);
  return result.rows as Row[];
}
