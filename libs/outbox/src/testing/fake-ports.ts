import { afterCommit, type SqlDatabase, type SqlStatement, type SqlTransaction } from '#sql';
import type { OutboxPublisher, OutboxRecord } from '../outbox-publisher.js';

/** A statement as the fake database received it. */
export interface ReceivedStatement {
  name: string;
  values: unknown[];
}

/**
 * The SQL port for the outbox's specs: records every statement (by name), answers the rows set for
 * a statement (one answer per call, then none), and fails the statements told to. A transaction
 * commits when its work resolves and no statement in it failed, as PostgreSQL's COMMIT would.
 */
export class FakeSqlDatabase implements SqlDatabase {
  readonly statements: ReceivedStatement[] = [];
  commits = 0;
  private readonly answers = new Map<string, unknown[][]>();
  private readonly failures = new Map<string, Error>();

  /** The next calls of `statement` answer these row sets, one each. */
  answer(statement: SqlStatement, ...rowSets: unknown[][]): this {
    this.answers.set(statement.name, [...(this.answers.get(statement.name) ?? []), ...rowSets]);
    return this;
  }

  /** Every call of `statement` fails with `error` until told otherwise (`undefined`). */
  failOn(statement: SqlStatement, error: Error | undefined): this {
    if (error === undefined) this.failures.delete(statement.name);
    else this.failures.set(statement.name, error);
    return this;
  }

  /** The values of each call of `statement`, in order. */
  valuesOf(statement: SqlStatement): unknown[][] {
    return this.statements.filter((received) => received.name === statement.name).map((received) => received.values);
  }

  get names(): string[] {
    return this.statements.map((received) => received.name);
  }

  async query<Row>(statement: SqlStatement | string, values: unknown[] = []): Promise<Row[]> {
    return this.run<Row>(statement, values);
  }

  async transaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T> {
    const sent: Promise<unknown>[] = [];
    let committed = false;
    const track = <Row>(statement: SqlStatement | string, values: unknown[] = []) => {
      const running = this.run<Row>(statement, values);
      running.catch(() => undefined);
      sent.push(running);
      return running;
    };
    const result = await work({
      query: track,
      send: (statement, values) => void track(statement, values),
      sendForRows: (statement, values) => afterCommit(track(statement, values), () => committed),
    });
    await Promise.all(sent);
    committed = true;
    this.commits += 1;
    return result;
  }

  private async run<Row>(statement: SqlStatement | string, values: unknown[]): Promise<Row[]> {
    const name = typeof statement === 'string' ? statement : statement.name;
    this.statements.push({ name, values });
    const failure = this.failures.get(name);
    if (failure) throw failure;
    return (this.answers.get(name)?.shift() ?? []) as Row[];
  }
}

/**
 * The publisher for the outbox's specs: keeps what it published, fails when `refuse` says so
 * (a record or a batch), and holds every publication while `held` (until `release()`).
 */
export class FakePublisher implements OutboxPublisher {
  /** Every publish call's records, published or not. */
  readonly attempts: OutboxRecord[][] = [];
  readonly published: OutboxRecord[] = [];
  refuse: (records: OutboxRecord[]) => Error | undefined = () => undefined;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
    this.gate = Promise.resolve();
  }

  async publish(records: OutboxRecord[]): Promise<void> {
    this.attempts.push(records);
    await this.gate;
    const error = this.refuse(records);
    if (error !== undefined) throw error;
    this.published.push(...records);
  }

  async close(): Promise<void> {}
}

/** An outbox row's record, its key and value from `label`. */
export function outboxRecord(id: string, label = id): OutboxRecord {
  return { id, topic: 'outcomes', messageKey: Buffer.from(label), messageValue: Buffer.from(`{"label":"${label}"}`), headers: {} };
}

/** Kafka's answer to a message over its size limit (kafkajs's error type). */
export function tooLarge(): Error {
  return Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
    type: 'MESSAGE_TOO_LARGE',
  });
}

/** Resolves once `condition` holds; fails after `withinMs` of real time. */
export async function until(condition: () => boolean, withinMs = 2_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
