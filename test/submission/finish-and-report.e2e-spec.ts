import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxRowValues, toOutboxRecord, type OutboxMessage } from '#outbox';
import type { Sql } from '../../apps/resend-service/src/database/sql.js';
import { finishRequestsAndReport } from '../../apps/resend-service/src/submission/submission.sql.js';
import { statementTestDatabase, type StatementTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `finishRequestsAndReport` writes a call's result and its outcome event in one round trip. It
 * must leave alone what the longer path handles: a request whose lease was taken over, and one
 * that would end while repeats wait for it — including a repeat intake commits while the
 * statement waits for the request's row lock. And of two calls of one request in one group, it
 * must accept only the call whose lease it finds. Checked on the real schema, with a real lock wait.
 */
const topic = `finish-and-report-${randomUUID()}`;
let offset = 0;
let database: StatementTestDatabase;
let sql: Sql;
let db: TestDatabase;

// A database of its own: the rows these checks leave in progress or pending (without a provider
// body) must never be claimed by a service another test file runs on the shared one.
beforeAll(async () => {
  database = await statementTestDatabase('finish_report');
  ({ sql, db } = database);
});

afterAll(() => database?.close());

interface Request {
  id: string;
  requestId: string;
  keyId: number;
  /** The first call's attempt row. */
  attemptId: string;
}

/** A request in progress under `leaseOwner`, with its first attempt row started. */
async function inProgress(leaseOwner: string): Promise<Request> {
  const request = { id: randomUUID(), requestId: `finish-and-report-${randomUUID()}`, keyId: randomInt(1, 2 ** 47) };
  await db.rows(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, lease_owner, lease_expires_at, attempts,
                                 kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, 'in_progress', '{}', '{}', $4, now() + interval '1 minute', 1, $5, 0, $6)`,
    [request.id, request.requestId, request.keyId, leaseOwner, topic, offset++],
  );
  return { ...request, attemptId: await attemptOf(request, 1) };
}

/** A call's attempt row, started as the claim (or a lookup) starts it. */
async function attemptOf(request: Pick<Request, 'id'>, number: number): Promise<string> {
  const attempt = await db.one<{ id: string }>(
    `INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body) VALUES ($1, $2, 'submit', '{}') RETURNING id::text AS id`,
    [request.id, number],
  );
  return attempt!.id;
}

/** A repeat recorded to wait for `original`, as intake records it (the trigger flags the original). */
function repeatOf(original: Request, run: (text: string, values: unknown[]) => Promise<unknown> = (text, values) => db.rows(text, values)) {
  return run(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, duplicate_of, kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, 'duplicate', '{}', $4, $5, 0, $6)`,
    [randomUUID(), `finish-and-report-${randomUUID()}`, original.keyId, original.id, topic, offset++],
  );
}

interface Call {
  change: ReturnType<typeof changeOf>;
  attemptId: string;
  event: (OutboxMessage & { id: string }) | null;
}

/**
 * One call's row change as ResultRecorder sends it for a call that completed (or, with `retry`,
 * goes back to pending), and the outcome event it writes if its lease is accepted (none for `retry`).
 */
function callOf(request: Request, leaseOwner: string, kind: 'complete' | 'retry' = 'complete', attemptId = request.attemptId): Call {
  const event = kind === 'complete' ? outcomeEvent(request) : null;
  return { change: changeOf(request, leaseOwner, attemptId, kind, event?.id ?? null), attemptId, event };
}

function changeOf(request: Request, leaseOwner: string, attemptId: string, kind: 'complete' | 'retry', eventId: string | null) {
  return {
    id: request.id,
    lease_owner: leaseOwner,
    event_id: eventId,
    status: kind === 'complete' ? 'completed' : 'pending',
    provider_task_id: kind === 'complete' ? 900 + (offset % 100) : null,
    resolved_by_lookup: kind === 'complete' ? false : null,
    outcome_unknown: false,
    lookup_failed: false,
    error_code: kind === 'complete' ? null : 'provider_unavailable',
    error_message: kind === 'complete' ? null : 'the provider answered 503',
    error_category: null,
    next_attempt_at: kind === 'complete' ? null : new Date(Date.now() + 60_000),
    attempt: { id: Number(attemptId), outcome: kind === 'complete' ? 'accepted' : 'retryable', latency_ms: 3, http_status: 200 },
  };
}

function outcomeEvent(request: Request): OutboxMessage & { id: string } {
  return {
    id: randomUUID(),
    topic: 'campaign.resend.completed',
    key: String(request.keyId),
    value: { requestId: request.requestId },
    requestId: request.requestId,
  };
}

/** Sends the group's statement as ResultRecorder does (BEGIN, it and COMMIT in one write); the calls it accepted, by request id. */
async function finishAndReport(calls: Call[]): Promise<{ id: string; lease_owner: string }[]> {
  const events = calls.flatMap((call) => (call.event ? [call.event] : []));
  const { finished } = await sql.transaction(async (transaction) => ({
    finished: transaction.sendForRows<{ id: string; lease_owner: string }>(finishRequestsAndReport, [
      JSON.stringify(calls.map((call) => call.change)),
      ...outboxRowValues(events.map(toOutboxRecord)),
      null, // not held for a writer
    ]),
  }));
  return (await finished.read()).map(({ id, lease_owner }) => ({ id, lease_owner })).sort((a, b) => a.id.localeCompare(b.id));
}

/** The request's row, the outcome of one of its attempts (the first unless told), and the ids of its outcome events. */
async function stateOf(request: Request, attemptId = request.attemptId) {
  return db.one<{ status: string; lease_owner: string | null; attempt_outcome: string | null; event_ids: string[] }>(
    `SELECT r.status, r.lease_owner, a.outcome AS attempt_outcome,
            ARRAY(SELECT o.id::text FROM outbox_event o WHERE o.request_id = r.request_id) AS event_ids
       FROM resend_request r JOIN submission_attempt a ON a.id = $2
      WHERE r.id = $1`,
    [request.id, attemptId],
  );
}

describe('finishRequestsAndReport: a result and its outcome event in one round trip', () => {
  it('writes the new state, the attempt and the event of a request whose lease it holds, and nothing of one it lost', async () => {
    const held = await inProgress('worker-a');
    const lost = await inProgress('worker-b');
    const [heldCall, lostCall] = [callOf(held, 'worker-a'), callOf(lost, 'worker-a')];

    const changed = await finishAndReport([heldCall, lostCall]);

    expect(changed).toEqual([{ id: held.id, lease_owner: 'worker-a' }]);
    expect(await stateOf(held)).toEqual({
      status: 'completed',
      lease_owner: null,
      attempt_outcome: 'accepted',
      event_ids: [heldCall.event!.id],
    });
    expect(await stateOf(lost)).toEqual({ status: 'in_progress', lease_owner: 'worker-b', attempt_outcome: 'in_flight', event_ids: [] });
  });

  it('leaves a request that repeats wait for as it is when it would end, and changes it when it goes back to pending', async () => {
    const ending = await inProgress('worker-a');
    const retrying = await inProgress('worker-a');
    await repeatOf(ending);
    await repeatOf(retrying);

    const changed = await finishAndReport([callOf(ending, 'worker-a'), callOf(retrying, 'worker-a', 'retry')]);

    expect(changed).toEqual([{ id: retrying.id, lease_owner: 'worker-a' }]);
    expect(await stateOf(ending)).toEqual({ status: 'in_progress', lease_owner: 'worker-a', attempt_outcome: 'in_flight', event_ids: [] });
    expect(await stateOf(retrying)).toEqual({ status: 'pending', lease_owner: null, attempt_outcome: 'retryable', event_ids: [] });
  });

  it('sees a repeat that intake commits while the statement waits for the row lock', async () => {
    const original = await inProgress('worker-a');
    const intake = new pg.Client({ connectionString: database.url });
    await intake.connect();
    try {
      // Intake records a repeat: the trigger flags the original, and holds its row lock until COMMIT.
      await intake.query('BEGIN');
      await repeatOf(original, (text, values) => intake.query(text, values));
      const finishing = finishAndReport([callOf(original, 'worker-a')]);
      await waitFor(
        'the statement to wait for the row lock intake holds',
        async () => {
          const waiting = await db.one<{ count: number }>(
            `SELECT count(*)::integer AS count FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE 'WITH change AS%' AND datname = current_database()`,
          );
          return waiting!.count > 0;
        },
        10_000,
      );
      await intake.query('COMMIT');

      expect(await finishing).toEqual([]);
      expect(await stateOf(original)).toEqual({
        status: 'in_progress',
        lease_owner: 'worker-a',
        attempt_outcome: 'in_flight',
        event_ids: [],
      });
    } finally {
      await intake.end();
    }
  });
});

/**
 * One result group may hold two finished calls of one request: its lease ran out while the first
 * call's result waited behind a slow group, and the same instance claimed it again under a new
 * lease owner. The statement must accept only the call whose lease it finds, and write only that
 * call's outcome event — never the other call's, not even when the accepted call puts the request
 * back to pending.
 */
describe('finishRequestsAndReport: two calls of one request in one group', () => {
  it('writes the outcome event of the call whose lease it accepts, and not the stale call’s', async () => {
    const request = await inProgress('instance-a/2');
    const stale = callOf(request, 'instance-a/1');
    const current = callOf(request, 'instance-a/2', 'complete', await attemptOf(request, 2));

    const accepted = await finishAndReport([stale, current]);

    expect(accepted).toEqual([{ id: request.id, lease_owner: 'instance-a/2' }]);
    expect(await stateOf(request, current.attemptId)).toEqual({
      status: 'completed',
      lease_owner: null,
      attempt_outcome: 'accepted',
      event_ids: [current.event!.id],
    });
    expect(await stateOf(request, stale.attemptId)).toMatchObject({ attempt_outcome: 'in_flight' }); // left as a lost lease leaves it
  });

  it('writes the accepted call’s event whichever comes first in the group', async () => {
    const request = await inProgress('instance-a/4');
    const current = callOf(request, 'instance-a/4');
    const stale = callOf(request, 'instance-a/3', 'complete', await attemptOf(request, 2));

    await finishAndReport([current, stale]);

    expect(await stateOf(request)).toMatchObject({ event_ids: [current.event!.id] });
  });

  it('writes no event at all when the accepted call puts the request back to pending', async () => {
    const request = await inProgress('instance-a/6');
    const stale = callOf(request, 'instance-a/5');
    const current = callOf(request, 'instance-a/6', 'retry', await attemptOf(request, 2));

    const accepted = await finishAndReport([stale, current]);

    expect(accepted).toEqual([{ id: request.id, lease_owner: 'instance-a/6' }]);
    // No `completed` event while the row is pending.
    expect(await stateOf(request, current.attemptId)).toEqual({
      status: 'pending',
      lease_owner: null,
      attempt_outcome: 'retryable',
      event_ids: [],
    });
  });
});
