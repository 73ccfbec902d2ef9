import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { afterCommit, type SqlStatement, type SqlTransaction } from '#sql';
import {
  OutboxWriter,
  releaseHeldBehindEarlier,
  WriterPublication,
  type OutboxMessage,
  type OutboxPublisher,
  type OutboxRecord,
} from '#outbox';
import type { Sql } from '../database/sql.js';
import type { FlowMetrics } from '../metrics/flow-metrics.js';
import type { OutcomeEvents, OutcomeSubject } from '../outcome/outcome-events.js';
import { FlowProgress } from '../requests/flow-progress.js';
import type { ClaimedRequest } from './claimed-request.js';
import { ResultRecorder, type FinishedCall, type RecordedStep } from './result-recorder.js';
import { finishRequests, finishRequestsAndReport } from './submission.sql.js';

interface Change {
  id: string;
  lease_owner: string;
  event_id: string | null;
  status: string;
}

/**
 * The finishing statements as PostgreSQL runs them, reduced to the fence: a change is made only
 * while its request's lease is the change's own, and the statement writes the event the accepted
 * change names. The writer's key-order statement releases the written events whose key has an
 * earlier unpublished event (`keysBehindEarlier`). Transactions wait for `opened` to resolve, so
 * that results pile up into one group.
 */
class FakeDatabase {
  readonly leases = new Map<string, string>();
  readonly eventsWritten: string[] = [];
  readonly keysBehindEarlier = new Set<string>();
  private readonly keyOfEvent = new Map<string, string>();
  opened: Promise<void> = Promise.resolve();

  /** Outside a transaction: the writer's publication marking what it published. */
  async query(): Promise<never[]> {
    return [];
  }

  async transaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T> {
    await this.opened;
    const run = (statement: SqlStatement | string, values: unknown[] = []) => Promise.resolve(this.run(statement, values) as never);
    return work({
      query: run,
      sendForRows: (statement, values) => afterCommit(run(statement, values)),
      send: (statement, values) => void this.run(statement, values ?? []),
    });
  }

  private run(statement: SqlStatement | string, values: unknown[]): unknown[] {
    if (statement === releaseHeldBehindEarlier) {
      const held = (values[0] as string[]).filter((id) => this.eventsWritten.includes(id));
      return held.filter((id) => this.keysBehindEarlier.has(this.keyOfEvent.get(id)!)).map((id) => ({ id }));
    }
    if (statement === finishRequestsAndReport) {
      const [ids, keys] = [values[1] as string[], values[3] as Buffer[]];
      ids.forEach((id, index) => this.keyOfEvent.set(id, keys[index]!.toString()));
    }
    if (statement !== finishRequestsAndReport && statement !== finishRequests) return [];
    const accepted = (JSON.parse(values[0] as string) as Change[]).filter((change) => this.leases.get(change.id) === change.lease_owner);
    for (const change of accepted) {
      if (change.status !== 'in_progress') this.leases.delete(change.id);
      if (change.event_id && statement === finishRequestsAndReport) this.eventsWritten.push(change.event_id);
    }
    return accepted.map((change) => ({ id: change.id, lease_owner: change.lease_owner, has_repeats: false }));
  }
}

function outcomeMessage(topic: string, subject: OutcomeSubject): OutboxMessage {
  return { id: randomUUID(), topic, key: String(subject.keyId), value: { requestId: subject.requestId }, requestId: subject.requestId };
}

/** Keeps what the writer's publication hands it: the records of each publication. */
class RecordingPublisher implements OutboxPublisher {
  readonly publications: OutboxRecord[][] = [];

  async publish(records: OutboxRecord[]): Promise<void> {
    this.publications.push(records);
  }

  async close(): Promise<void> {}

  get published(): OutboxRecord[] {
    return this.publications.flat();
  }
}

function recorderOn(database: FakeDatabase) {
  const publisher = new RecordingPublisher();
  const relay = { isRunning: true, wake: vi.fn() };
  const publication = new WriterPublication(database, publisher, relay);
  const metrics = {
    outcomesWritten: vi.fn((_events: readonly OutboxMessage[]) => {}),
    retryScheduled: vi.fn((_count: number) => {}),
    databaseFailed: vi.fn(),
  };
  const outcomes = {
    completed: (subject: OutcomeSubject) => outcomeMessage('completed', subject),
    failed: (subject: OutcomeSubject) => outcomeMessage('failed', subject),
  };
  const recorder = new ResultRecorder(
    database as unknown as Sql,
    new OutboxWriter(publication),
    outcomes as unknown as OutcomeEvents,
    metrics as unknown as FlowMetrics,
    new FlowProgress(),
  );
  return { recorder, publication, publisher, relay, metrics };
}

/** A request in progress under `leaseOwner`, as its claim handed it to a worker. */
function claimed(id: string, leaseOwner: string, keyId = 7): ClaimedRequest {
  return { id, requestId: `request-${id}`, keyId, taskName: 'task', correlationId: null, attempts: 1, leaseOwner } as ClaimedRequest;
}

const completed: RecordedStep = { kind: 'complete', taskId: 9001, resolvedByLookup: false };
const retry: RecordedStep = { kind: 'retry', retryInMs: 0, outcomeUnknown: false, errorCode: '-1', errorMessage: 'busy' };

/** Records `calls` as one group: a first result holds the writer until all of them wait. */
async function recordInOneGroup(database: FakeDatabase, recorder: ResultRecorder, calls: FinishedCall[]): Promise<boolean[]> {
  let open!: () => void;
  database.opened = new Promise((resolve) => (open = resolve));
  const first = recorder.record({ request: claimed('other', 'instance-b/1'), step: retry });
  const results = Promise.all(calls.map((call) => recorder.record(call)));
  open();
  await first;
  return results;
}

describe('ResultRecorder: two calls of one request in one group', () => {
  it('writes, publishes and counts the event of the call whose lease held, not the stale call of the same request', async () => {
    const database = new FakeDatabase();
    database.leases.set('other', 'instance-b/1');
    database.leases.set('r1', 'instance-a/2'); // claimed again after the first lease ran out
    const { recorder, publication, publisher, metrics } = recorderOn(database);
    const stale = { request: claimed('r1', 'instance-a/1'), step: completed };
    const current = { request: claimed('r1', 'instance-a/2'), step: { ...completed, resolvedByLookup: true } };

    const accepted = await recordInOneGroup(database, recorder, [stale, current]);
    await publication.settled();

    expect(accepted).toEqual([false, true]);
    expect(database.eventsWritten).toHaveLength(1);
    expect(publisher.published.map((record) => record.id)).toEqual(database.eventsWritten);
    const counted = metrics.outcomesWritten.mock.calls.flatMap(([events]) => events);
    expect(counted.map((event) => event.id)).toEqual(database.eventsWritten);
  });

  it('counts no outcome when the call that held the lease put the request back to pending', async () => {
    const database = new FakeDatabase();
    database.leases.set('other', 'instance-b/1');
    database.leases.set('r1', 'instance-a/2');
    const { recorder, publication, publisher, metrics } = recorderOn(database);

    const accepted = await recordInOneGroup(database, recorder, [
      { request: claimed('r1', 'instance-a/1'), step: completed },
      { request: claimed('r1', 'instance-a/2'), step: retry },
    ]);
    await publication.settled();

    expect(accepted).toEqual([false, true]);
    expect(database.eventsWritten).toEqual([]);
    expect(publisher.publications).toEqual([]);
    expect(metrics.outcomesWritten.mock.calls.flatMap(([events]) => events)).toEqual([]);
    expect(metrics.retryScheduled.mock.calls.map(([count]) => count)).toEqual([1, 1]); // the holder's retry, and this group's
  });
});

describe('ResultRecorder: publish-on-commit keeps the events of a key in order', () => {
  it('leaves an event an earlier unpublished event of its key must precede to the relays, and wakes its relay', async () => {
    const database = new FakeDatabase();
    database.leases.set('other', 'instance-b/1');
    database.leases.set('behind', 'instance-a/1');
    database.leases.set('free', 'instance-a/1');
    database.keysBehindEarlier.add('7'); // e.g. a conflict's failed event of keyId 7, still unpublished
    const { recorder, publication, publisher, relay } = recorderOn(database);

    await recordInOneGroup(database, recorder, [
      { request: claimed('behind', 'instance-a/1', 7), step: completed },
      { request: claimed('free', 'instance-a/1', 8), step: completed },
    ]);
    await publication.settled();

    expect(publisher.published.map((record) => record.messageKey?.toString())).toEqual(['8']);
    expect(database.eventsWritten).toHaveLength(2);
    expect(relay.wake).toHaveBeenCalled();
  });
});
