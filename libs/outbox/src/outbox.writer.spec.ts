import { describe, expect, it } from 'vitest';
import type { SqlStatement } from '#sql';
import type { OutboxMessage } from './outbox-message.js';
import { OutboxWriter } from './outbox.writer.js';
import { insertOutboxRows, markPublished, OUTBOX_WRITE_PARAMETERS, releaseHeldBehindEarlier } from './outbox.sql.js';
import { PublishFailures } from './publish-failures.js';
import { FakePublisher, FakeSqlDatabase } from './testing/fake-ports.js';
import { WriterPublication } from './writer-publication.js';

function message(id: string): OutboxMessage & { id: string } {
  return { id, topic: 'outcomes', key: id, value: { id } };
}

function writerOn(database: FakeSqlDatabase) {
  const publisher = new FakePublisher();
  const relay = { isRunning: true, wakes: 0, wake: () => (relay.wakes += 1) };
  const failures = new PublishFailures();
  const writer = new OutboxWriter(new WriterPublication(database, publisher, relay, failures));
  return { writer, publisher, relay, failures };
}

const published = (publisher: FakePublisher) => publisher.published.map((record) => record.id);
/** A statement of the caller's that writes its events with its own change. */
const callersStatement: SqlStatement = {
  name: 'caller.change-and-report',
  text: `WITH reported AS (${insertOutboxRows(2, 'SELECT $1::uuid')}) SELECT 1`,
};

describe('OutboxWriter.add', () => {
  it('sends the rows as one statement, without waiting, and leaves them to the relays (their INSERT wakes them)', async () => {
    const database = new FakeSqlDatabase();
    const writer = new OutboxWriter();

    const written = await database.transaction(async (transaction) =>
      writer.add(transaction, [message('a'), { topic: 'outcomes', key: null, value: Buffer.from('raw') }]),
    );

    expect(database.names).toEqual(['outbox.insert-events']);
    const [values] = database.statements.map((statement) => statement.values);
    expect(values).toHaveLength(8);
    expect(written.ids[0]).toBe('a');
    expect(written.ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    await (
      await written.afterCommit()
    ).published;
    expect(database.names).toEqual(['outbox.insert-events']);
  });

  it('sends nothing for no messages', async () => {
    const database = new FakeSqlDatabase();
    const written = await database.transaction(async (transaction) => new OutboxWriter().add(transaction, []));

    expect(database.statements).toEqual([]);
    expect(written.ids).toEqual([]);
  });

  it('publish-on-commit: holds the rows for their writer and publishes them after the COMMIT, but those an earlier row of their key must precede', async () => {
    const database = new FakeSqlDatabase().answer(releaseHeldBehindEarlier, [{ id: 'b' }]);
    const { writer, publisher, relay } = writerOn(database);

    const written = await database.transaction(async (transaction) =>
      writer.add(transaction, [message('a'), message('b')], { publishOnCommit: true }),
    );

    expect(database.names).toEqual(['outbox.writer-publishes', 'outbox.insert-held-events', 'outbox.release-held-behind-earlier']);
    expect(database.statements[1]!.values.at(-1)).toBe('10 seconds');
    expect(database.valuesOf(releaseHeldBehindEarlier)).toEqual([[['a', 'b']]]);
    expect(publisher.attempts).toEqual([]);

    await (
      await written.afterCommit()
    ).published;
    expect(published(publisher)).toEqual(['a']);
    expect(database.valuesOf(markPublished)).toEqual([[['a']]]);
    expect(relay.wakes).toBe(1); // for b, released to the relays
  });

  it('refuses to hand the rows over before the COMMIT', async () => {
    const database = new FakeSqlDatabase();
    const { writer } = writerOn(database);

    await database.transaction(async (transaction) => {
      const written = writer.add(transaction, [message('a')], { publishOnCommit: true });
      await expect(written.afterCommit()).rejects.toThrow(/before their transaction committed/);
    });
  });

  it('does not publish on commit while publishing fails: the rows go to the relays as usual', async () => {
    const database = new FakeSqlDatabase();
    const { writer, publisher, failures } = writerOn(database);
    failures.writerFailed('broker down');

    const written = await database.transaction(async (transaction) => writer.add(transaction, [message('a')], { publishOnCommit: true }));
    await (
      await written.afterCommit()
    ).published;

    expect(database.names).toEqual(['outbox.insert-events']);
    expect(publisher.attempts).toEqual([]);
  });
});

describe('OutboxWriter.addInStatement (the events written by the caller’s own statement)', () => {
  it('gives the statement its parameters and the hold; after the COMMIT, publishes only the rows the statement wrote', async () => {
    const database = new FakeSqlDatabase();
    const { writer, publisher } = writerOn(database);
    let parameters: unknown[] = [];

    const { sent, written } = await database.transaction(async (transaction) =>
      writer.addInStatement(transaction, [message('a'), message('b')], { publishOnCommit: true }, (outboxParameters) => {
        parameters = outboxParameters;
        return transaction.sendForRows(callersStatement, ['b', ...outboxParameters]);
      }),
    );

    expect(parameters).toHaveLength(OUTBOX_WRITE_PARAMETERS);
    expect(parameters[0]).toEqual(['a', 'b']);
    expect(parameters.at(-1)).toBe('10 seconds');
    expect(database.names).toEqual(['outbox.writer-publishes', 'caller.change-and-report', 'outbox.release-held-behind-earlier']);
    expect(await sent.read()).toEqual([]);

    await (
      await written.afterCommit(['b'])
    ).published;
    expect(published(publisher)).toEqual(['b']);
  });

  it('holds nothing when not asked to publish on commit, or with no events: the hold is NULL, no statement added', async () => {
    for (const [messages, options] of [
      [[message('a')], {}],
      [[], { publishOnCommit: true }],
    ] as const) {
      const database = new FakeSqlDatabase();
      const { writer } = writerOn(database);
      let hold: unknown = 'unset';
      await database.transaction(async (transaction) =>
        writer.addInStatement(transaction, [...messages], options, (outboxParameters) => {
          hold = outboxParameters.at(-1);
          transaction.send(callersStatement, outboxParameters);
        }),
      );
      expect(hold).toBeNull();
      expect(database.names).toEqual(['caller.change-and-report']);
    }
  });

  it('insertOutboxRows reads exactly OUTBOX_WRITE_PARAMETERS parameters, from the first one given', () => {
    const numbers = [...insertOutboxRows(2, 'SELECT 1').matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));

    expect([...new Set(numbers)].sort((a, b) => a - b)).toEqual(Array.from({ length: OUTBOX_WRITE_PARAMETERS }, (_, index) => index + 2));
  });
});
