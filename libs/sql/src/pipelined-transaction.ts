import type { Writable } from 'node:stream';
import type pg from 'pg';
import { afterCommit } from './after-commit.js';
import type { AfterCommit, SqlStatement, SqlTransaction } from './sql-port.js';

/**
 * Keeps every statement a transaction sent: COMMIT goes out behind them, and none of their
 * failures is lost. Statements nobody waits for yet are held in the socket (corked) and leave
 * with the next one that is waited for, or with COMMIT: one write, one packet for the server to
 * wake up to, instead of one each (on a small machine each write costs as much as a statement).
 */
export class PipelinedTransaction implements SqlTransaction {
  private readonly sent: Promise<unknown>[] = [];
  private readonly socket: Pick<Writable, 'cork' | 'uncork'> | undefined;
  private holding = false;
  private committed = false;

  constructor(private readonly client: pg.PoolClient) {
    this.socket = socketOf(client);
  }

  begin(): void {
    this.send('BEGIN');
  }

  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    const answer = this.track(runStatement<Row>(this.client, statement, values));
    this.flush();
    return answer;
  }

  send(statement: SqlStatement | string, values: unknown[] = []): void {
    this.hold();
    void this.track(runStatement(this.client, statement, values));
  }

  sendForRows<Row = Record<string, unknown>>(statement: SqlStatement | string, values: unknown[] = []): AfterCommit<Row[]> {
    this.hold();
    return afterCommit(this.track(runStatement<Row>(this.client, statement, values)), () => this.committed);
  }

  /**
   * Sends COMMIT and waits for it and everything sent before it. After a failed statement the
   * server answers COMMIT with ROLLBACK: the statement's error is what this throws.
   */
  async commit(): Promise<void> {
    const committing = this.sendCommit();
    this.flush();
    await committing;
    this.committed = true;
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

/**
 * The client's socket, to cork: pg does not expose it in its types (`connection.stream` is its
 * Connection's own field). Without it, statements simply leave one write each.
 */
function socketOf(client: pg.PoolClient): Pick<Writable, 'cork' | 'uncork'> | undefined {
  return (client as { connection?: { stream?: Writable } }).connection?.stream;
}

export async function runStatement<Row>(
  target: pg.Pool | pg.PoolClient,
  statement: SqlStatement | string,
  values: unknown[],
): Promise<Row[]> {
  const query = typeof statement === 'string' ? { text: statement, values } : { name: statement.name, text: statement.text, values };
  const result = await target.query(query);
  return result.rows as Row[];
}
