import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxRecord } from './outbox-publisher.js';
import { OutboxRelay, type OutboxNotifications, type OutboxRelayOptions } from './outbox.relay.js';
import { claimUnpublished, markPublished, markRefused, notePublishFailure, pruneOld } from './outbox.sql.js';
import { FakePublisher, FakeSqlDatabase, outboxRecord, tooLarge, until } from './testing/fake-ports.js';

/** A record as the claim returns its row (`seq`: its write order, as text). */
function claimedRow(record: OutboxRecord, seq: number) {
  return {
    id: record.id,
    seq: String(seq),
    topic: record.topic,
    message_key: record.messageKey,
    message_value: record.messageValue,
    headers: record.headers,
    request_id: null,
    trace_parent: null,
    trace_state: null,
  };
}

class FakeNotifications implements OutboxNotifications {
  listening = false;

  async start(): Promise<void> {
    this.listening = true;
  }

  async stop(): Promise<void> {
    this.listening = false;
  }
}

/** Polls rarely unless told otherwise: within a test only a wake-up, or a back-off, makes the relay look again. */
function relayOn(database: FakeSqlDatabase, publisher: FakePublisher, options: Partial<OutboxRelayOptions> = {}) {
  const notifications = new FakeNotifications();
  const settings = { databaseUrl: 'postgres://unused', pollIntervalMs: 60_000, batchSize: 10, retentionDays: 0, ...options };
  const relay = new OutboxRelay(database, publisher, settings, () => notifications);
  return { relay, notifications };
}

const claims = (database: FakeSqlDatabase) => database.valuesOf(claimUnpublished).length;
const ids = (records: OutboxRecord[]) => records.map((record) => record.id);
const idsOfEach = (batches: OutboxRecord[][]) => batches.map(ids);

describe('OutboxRelay: the loop', () => {
  let running: OutboxRelay | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await running?.stop();
    running = undefined;
  });

  /** Starts the relay (stopped after the test) and waits until its first batch is done and it sleeps. */
  async function startAsleep(relay: OutboxRelay): Promise<void> {
    running = relay;
    await relay.start();
    await until(() => relay.isSleeping);
  }

  it('publishes a claimed batch in write order, marks it published with the claim’s COMMIT, then sleeps until woken', async () => {
    const [first, second] = [outboxRecord('first'), outboxRecord('second')];
    const database = new FakeSqlDatabase().answer(claimUnpublished, [claimedRow(second, 8), claimedRow(first, 7)]);
    const publisher = new FakePublisher();
    const { relay, notifications } = relayOn(database, publisher);
    await startAsleep(relay);

    expect(notifications.listening).toBe(true);
    expect(idsOfEach(publisher.attempts)).toEqual([['first', 'second']]);
    expect(database.valuesOf(markPublished)).toEqual([[['first', 'second']]]);
    expect(database.commits).toBe(1);
    expect(relay.failure).toBeNull();
    expect(claims(database)).toBe(1);

    relay.wake();
    await until(() => claims(database) === 2 && relay.isSleeping);
    await relay.stop();
    expect(notifications.listening).toBe(false);
    expect(relay.isRunning).toBe(false);
  });

  it('backs off while publishing fails, notes the error on the rows, and goes back to its poll once a batch goes through', async () => {
    vi.useFakeTimers();
    const record = outboxRecord('waiting');
    const database = new FakeSqlDatabase().answer(
      claimUnpublished,
      [claimedRow(record, 1)],
      [claimedRow(record, 1)],
      [claimedRow(record, 1)],
    );
    const publisher = new FakePublisher();
    publisher.refuse = () => new Error('broker down');
    const { relay } = relayOn(database, publisher, { pollIntervalMs: 10 });
    running = relay;

    await relay.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(publisher.attempts).toHaveLength(1);
    expect(relay.failure).toBe('broker down');
    expect(database.valuesOf(notePublishFailure)).toEqual([[['waiting'], 'broker down']]);
    expect(database.commits).toBe(0);

    // The first back-off is 250–500 ms, far beyond the 10 ms poll.
    await vi.advanceTimersByTimeAsync(240);
    expect(publisher.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(270);
    expect(publisher.attempts).toHaveLength(2);
    expect(relay.writerPublication.mayPublish).toBe(false);

    publisher.refuse = () => undefined;
    await vi.advanceTimersByTimeAsync(1_000); // the second back-off: 500–1,000 ms
    expect(ids(publisher.published)).toEqual(['waiting']);
    expect(relay.failure).toBeNull();
    expect(relay.writerPublication.mayPublish).toBe(true);

    const claimsBefore = claims(database);
    await vi.advanceTimersByTimeAsync(10);
    expect(claims(database)).toBe(claimsBefore + 1);
  });

  it('stop() waits for the writers’ publications in progress before it stops', async () => {
    const database = new FakeSqlDatabase();
    const publisher = new FakePublisher();
    const { relay } = relayOn(database, publisher);
    await startAsleep(relay);

    publisher.hold();
    const publishing = relay.writerPublication.publish([outboxRecord('held')]);
    await until(() => publisher.attempts.length === 1);
    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    expect(relay.isRunning).toBe(true);

    publisher.release();
    await Promise.all([publishing, stopping]);
    expect(database.valuesOf(markPublished)).toEqual([[['held']]]);
    expect(relay.isRunning).toBe(false);
  });

  it('stop(flushWithinMs) publishes what is left before it stops', async () => {
    const database = new FakeSqlDatabase();
    const publisher = new FakePublisher();
    const { relay } = relayOn(database, publisher);
    await startAsleep(relay);
    const [late, later] = [outboxRecord('late'), outboxRecord('later')];
    database.answer(claimUnpublished, [claimedRow(late, 1)], [claimedRow(later, 2)]);

    await relay.stop(5_000);

    expect(ids(publisher.published)).toEqual(['late', 'later']);
    expect(database.valuesOf(markPublished)).toEqual([[['late']], [['later']]]);
  });

  it('prunes old rows when the retention is set, once per hour', async () => {
    const database = new FakeSqlDatabase().answer(pruneOld, [{ published: 3, refused: 1 }]);
    const { relay } = relayOn(database, new FakePublisher(), { retentionDays: 7 });
    await startAsleep(relay);
    relay.wake();
    await until(() => claims(database) === 2 && relay.isSleeping);

    expect(database.valuesOf(pruneOld)).toEqual([[7]]);
  });
});

describe('OutboxRelay: a batch with a message Kafka refuses for good', () => {
  it('sets that message aside and publishes the rest', async () => {
    const [before, huge, after] = [outboxRecord('before'), outboxRecord('huge'), outboxRecord('after')];
    const database = new FakeSqlDatabase().answer(claimUnpublished, [claimedRow(before, 1), claimedRow(huge, 2), claimedRow(after, 3)]);
    const publisher = new FakePublisher();
    publisher.refuse = (records) => (ids(records).includes('huge') ? tooLarge() : undefined);
    const { relay } = relayOn(database, publisher);

    expect(await relay.publishBatch()).toBe(3);

    expect(idsOfEach(publisher.attempts)).toEqual([['before', 'huge', 'after'], ['before'], ['huge'], ['after']]);
    expect(ids(publisher.published)).toEqual(['before', 'after']);
    const [refused] = database.valuesOf(markRefused);
    expect(refused).toEqual(['huge', expect.stringMatching(/^refused by Kafka, not published: .*larger than the max message size/)]);
    expect(database.valuesOf(markPublished)).toEqual([[['before', 'after']]]);
    expect(database.commits).toBe(1);
  });

  it('rolls the whole batch back when another error follows the refusal', async () => {
    const [huge, next] = [outboxRecord('huge'), outboxRecord('next')];
    const database = new FakeSqlDatabase().answer(claimUnpublished, [claimedRow(huge, 1), claimedRow(next, 2)]);
    const publisher = new FakePublisher();
    publisher.refuse = (records) => (ids(records).includes('huge') ? tooLarge() : new Error('broker gone'));
    const { relay } = relayOn(database, publisher);

    await expect(relay.publishBatch()).rejects.toMatchObject({ ids: ['huge', 'next'], cause: { message: 'broker gone' } });
    expect(database.valuesOf(markPublished)).toEqual([]);
    expect(database.commits).toBe(0);
  });
});
