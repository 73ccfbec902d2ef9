import { describe, expect, it } from 'vitest';
import { afterCommit, type SqlDatabase, type SqlStatement, type SqlTransaction } from '#sql';
import { inWriteOrder } from './outbox-key-order.js';
import type { OutboxPublisher, OutboxRecord } from './outbox-publisher.js';
import { OutboxRelay } from './outbox.relay.js';
import { claimUnpublished } from './outbox.sql.js';

/** A claimed row as PostgreSQL returns it (`seq` as text: a bigint). */
function claimedRow(id: string, seq: string, key: string) {
  return {
    id,
    seq,
    topic: 'campaign.resend.failed',
    message_key: Buffer.from(key),
    message_value: Buffer.from('{}'),
    headers: {},
    request_id: null,
    trace_parent: null,
    trace_state: null,
  };
}

/** Answers the claim with `rows` (in whatever order the statement's outer query left them); notes the rest. */
class FakeDatabase implements SqlDatabase {
  readonly statements: string[] = [];

  constructor(private readonly rows: ReturnType<typeof claimedRow>[]) {}

  async query<Row>(statement: SqlStatement | string): Promise<Row[]> {
    this.statements.push(typeof statement === 'string' ? statement : statement.name);
    return [];
  }

  async transaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T> {
    const answer = async (statement: SqlStatement | string) => {
      this.statements.push(typeof statement === 'string' ? statement : statement.name);
      return (statement === claimUnpublished ? this.rows : []) as never;
    };
    return work({ query: answer, sendForRows: (statement) => afterCommit(answer(statement)), send: (statement) => void answer(statement) });
  }
}

class RecordingPublisher implements OutboxPublisher {
  readonly batches: string[][] = [];

  async publish(records: OutboxRecord[]): Promise<void> {
    this.batches.push(records.map((record) => record.id));
  }

  async close(): Promise<void> {}
}

function relayOn(database: FakeDatabase, publisher: OutboxPublisher): OutboxRelay {
  return new OutboxRelay(database, publisher, { databaseUrl: 'postgres://unused', pollIntervalMs: 1000, batchSize: 500, retentionDays: 0 });
}

describe('the events of one key, in the order they were written', () => {
  it('publishes a claimed batch in write order (seq), whatever order the statement returned it in', async () => {
    const database = new FakeDatabase([
      claimedRow('third of k1', '10', 'k1'),
      claimedRow('first of k1', '2', 'k1'),
      claimedRow('k2', '9', 'k2'),
      claimedRow('second of k1', '3', 'k1'),
    ]);
    const publisher = new RecordingPublisher();

    const published = await relayOn(database, publisher).publishBatch();

    expect(published).toBe(4);
    expect(publisher.batches).toEqual([['first of k1', 'second of k1', 'k2', 'third of k1']]);
    expect(database.statements).toEqual(['outbox.claim-unpublished', 'outbox.mark-published']);
  });

  it('orders rows by seq as integers, not as text', () => {
    const rows = [{ seq: '10' }, { seq: '9007199254740993' }, { seq: '9' }, { seq: '9007199254740992' }];

    // The last two are beyond a double's exact integers: compared as bigints.
    expect(inWriteOrder(rows).map((row) => row.seq)).toEqual(['9', '10', '9007199254740992', '9007199254740993']);
  });
});
