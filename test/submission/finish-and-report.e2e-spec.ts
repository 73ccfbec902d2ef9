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
 * statement waits for the request's row lock. Checked on the real schema, with a real lock wait.
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
  const attempt = await db.one<{ id: string }>(
    `INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body) VALUES ($1, 1, 'submit', '{}') RETURNING id::text AS id`,
    [request.id],
  );
  return { ...request, attemptId: attempt!.id };
}

/** A repeat recorded to wait for `original`, as intake records it (the trigger flags the original). */
function repeatOf(original: Request, run: (text: string, values: unknown[]) => Promise<unknown> = (text, values) => db.rows(text, values)) {
  return run(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, duplicate_of, kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, 'duplicate', '{}', $4, $5, 0, $6)`,
    [randomUUID(), `finish-and-report-${randomUUID()}`, original.keyId, original.id, topic, offset++],
  );
}

/**
 * The row change ResultRecorder sends for a call that completed (or, with `retry`, goes back to
 * pending), naming the outcome event it writes if its lease is accepted.
 */
function change(request: Request, leaseOwner: string, kind: 'complete' | 'retry' = 'complete', event?: { id: string }) {
  return {
    id: request.id,
    lease_owner: leaseOwner,
    event_id: event?.id ?? null,
    status: kind === 'complete' ? 'completed' : 'pending',
    provider_task_id: kind === 'complete' ? 900 + (offset % 100) : null,
    resolved_by_lookup: kind === 'complete' ? false : null,
    outcome_unknown: false,
    lookup_failed: false,
    error_code: kind === 'complete' ? null : 'provider_unavailable',
    error_message: kind === 'complete' ? null : 'the provider answered 503',
    error_category: null,
    next_attempt_at: kind === 'complete' ? null : new Date(Date.now() + 60_000),
    attempt: { id: Number(request.attemptId), outcome: kind === 'complete' ? 'accepted' : 'retryable', latency_ms: 3, http_status: 200 },
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

/** Sends the statement as ResultRecorder does: BEGIN, it and COMMIT in one write; the ids of the requests it changed. */
async function finishAndReport(changes: ReturnType<typeof change>[], events: (OutboxMessage & { id: string })[]): Promise<string[]> {
  const { finished } = await sql.transaction(async (transaction) => ({
    finished: transaction.sendForRows<{ id: string }>(finishRequestsAndReport, [
      JSON.stringify(changes),
      ...outboxRowValues(events.map(toOutboxRecord)),
      null, // not held for a writer
    ]),
  }));
  return (await finished.read()).map((row) => row.id).sort();
}

async function stateOf(request: Request) {
  return db.one<{ status: string; attempt_outcome: string | null; events: number }>(
    `SELECT r.status, a.outcome AS attempt_outcome,
            (SELECT count(*)::integer FROM outbox_event o WHERE o.request_id = r.request_id) AS events
       FROM resend_request r JOIN submission_attempt a ON a.id = $2
      WHERE r.id = $1`,
    [request.id, request.attemptId],
  );
}

describe('finishRequestsAndReport: a result and its outcome event in one round trip', () => {
  it('writes the new state, the attempt and the event of a request whose lease it holds, and nothing of one it lost', async () => {
    const held = await inProgress('worker-a');
    const lost = await inProgress('worker-b');

    const [heldEvent, lostEvent] = [outcomeEvent(held), outcomeEvent(lost)];
    const changed = await finishAndReport(
      [change(held, 'worker-a', 'complete', heldEvent), change(lost, 'worker-a', 'complete', lostEvent)],
      [heldEvent, lostEvent],
    );

    expect(changed).toEqual([held.id]);
    expect(await stateOf(held)).toEqual({ status: 'completed', attempt_outcome: 'accepted', events: 1 });
    expect(await stateOf(lost)).toEqual({ status: 'in_progress', attempt_outcome: 'in_flight', events: 0 });
  });

  it('leaves a request that repeats wait for as it is when it would end, and changes it when it goes back to pending', async () => {
    const ending = await inProgress('worker-a');
    const retrying = await inProgress('worker-a');
    await repeatOf(ending);
    await repeatOf(retrying);

    const endingEvent = outcomeEvent(ending);
    const changed = await finishAndReport(
      [change(ending, 'worker-a', 'complete', endingEvent), change(retrying, 'worker-a', 'retry')],
      [endingEvent],
    );

    expect(changed).toEqual([retrying.id]);
    expect(await stateOf(ending)).toEqual({ status: 'in_progress', attempt_outcome: 'in_flight', events: 0 });
    expect(await stateOf(retrying)).toEqual({ status: 'pending', attempt_outcome: 'retryable', events: 0 });
  });

  it('sees a repeat that intake commits while the statement waits for the row lock', async () => {
    const original = await inProgress('worker-a');
    const intake = new pg.Client({ connectionString: database.url });
    await intake.connect();
    try {
      // Intake records a repeat: the trigger flags the original, and holds its row lock until COMMIT.
      await intake.query('BEGIN');
      await repeatOf(original, (text, values) => intake.query(text, values));
      const originalEvent = outcomeEvent(original);
      const finishing = finishAndReport([change(original, 'worker-a', 'complete', originalEvent)], [originalEvent]);
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
      expect(await stateOf(original)).toEqual({ status: 'in_progress', attempt_outcome: 'in_flight', events: 0 });
    } finally {
      await intake.end();
    }
  });
});
