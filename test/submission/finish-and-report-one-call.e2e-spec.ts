import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxRowValues, toOutboxRecord, type OutboxMessage } from '#outbox';
import type { Sql } from '../../apps/resend-service/src/database/sql.js';
import { finishRequestsAndReport } from '../../apps/resend-service/src/submission/submission.sql.js';
import { statementTestDatabase, type StatementTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * One result group may hold two finished calls of one request: its lease ran out while the first
 * call's result waited behind a slow group, and the same instance claimed it again under a new
 * lease owner. `finishRequestsAndReport` must accept only the call whose lease it finds, and write
 * only that call's outcome event — never the other call's, not even when the accepted call puts
 * the request back to pending. Checked on the real schema.
 */
const topic = `finish-and-report-one-call-${randomUUID()}`;
let offset = 0;
let database: StatementTestDatabase;
let sql: Sql;
let db: TestDatabase;

// A database of its own: the rows these checks leave in progress or pending (without a provider
// body) must never be claimed by a service another test file runs on the shared one.
beforeAll(async () => {
  database = await statementTestDatabase('finish_one_call');
  ({ sql, db } = database);
});

afterAll(() => database?.close());

interface Request {
  id: string;
  requestId: string;
  keyId: number;
}

/** A request in progress under `leaseOwner`: claimed again after an earlier lease ran out. */
async function inProgress(leaseOwner: string): Promise<Request> {
  const request = { id: randomUUID(), requestId: `finish-one-call-${randomUUID()}`, keyId: randomInt(1, 2 ** 47) };
  await db.rows(
    `INSERT INTO resend_request (id, request_id, key_id, status, payload, provider_body, lease_owner, lease_expires_at, attempts,
                                 kafka_topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, 'in_progress', '{}', '{}', $4, now() + interval '1 minute', 1, $5, 0, $6)`,
    [request.id, request.requestId, request.keyId, leaseOwner, topic, offset++],
  );
  return request;
}

/** A call's attempt row, started as the claim (or a lookup) starts it. */
async function attemptOf(request: Request, number: number): Promise<string> {
  const attempt = await db.one<{ id: string }>(
    `INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body) VALUES ($1, $2, 'submit', '{}') RETURNING id::text AS id`,
    [request.id, number],
  );
  return attempt!.id;
}

interface Call {
  change: ReturnType<typeof changeOf>;
  attemptId: string;
  event: (OutboxMessage & { id: string }) | null;
}

/** One call's row change and, when it ends the request, its own outcome event, as ResultRecorder sends them. */
function callOf(request: Request, leaseOwner: string, attemptId: string, kind: 'complete' | 'retry'): Call {
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

/** Sends the group's statement as ResultRecorder does (BEGIN, it and COMMIT in one write); the calls it accepted. */
async function finishAndReport(calls: Call[]): Promise<{ id: string; lease_owner: string }[]> {
  const events = calls.flatMap((call) => (call.event ? [call.event] : []));
  const { finished } = await sql.transaction(async (transaction) => ({
    finished: transaction.sendForRows<{ id: string; lease_owner: string }>(finishRequestsAndReport, [
      JSON.stringify(calls.map((call) => call.change)),
      ...outboxRowValues(events.map(toOutboxRecord)),
      null, // not held for a writer
    ]),
  }));
  return (await finished.read()).map(({ id, lease_owner }) => ({ id, lease_owner }));
}

async function stateOf(request: Request) {
  return db.one<{ status: string; lease_owner: string | null }>(`SELECT status, lease_owner FROM resend_request WHERE id = $1`, [
    request.id,
  ]);
}

async function eventIdsOf(request: Request): Promise<string[]> {
  const rows = await db.rows<{ id: string }>(`SELECT id::text AS id FROM outbox_event WHERE request_id = $1`, [request.requestId]);
  return rows.map((row) => row.id);
}

async function attemptOutcome(attemptId: string): Promise<string | null> {
  return (await db.one<{ outcome: string | null }>(`SELECT outcome FROM submission_attempt WHERE id = $1`, [attemptId]))!.outcome;
}

describe('finishRequestsAndReport: two calls of one request in one group', () => {
  it('writes the outcome event of the call whose lease it accepts, and not the stale call’s', async () => {
    const request = await inProgress('instance-a/2');
    const stale = callOf(request, 'instance-a/1', await attemptOf(request, 1), 'complete');
    const current = callOf(request, 'instance-a/2', await attemptOf(request, 2), 'complete');

    const accepted = await finishAndReport([stale, current]);

    expect(await eventIdsOf(request)).toEqual([current.event!.id]);
    expect(accepted).toEqual([{ id: request.id, lease_owner: 'instance-a/2' }]);
    expect(await stateOf(request)).toEqual({ status: 'completed', lease_owner: null });
    expect(await attemptOutcome(current.attemptId)).toBe('accepted');
    expect(await attemptOutcome(stale.attemptId)).toBe('in_flight'); // left as a lost lease leaves it
  });

  it('writes the accepted call’s event whichever comes first in the group', async () => {
    const request = await inProgress('instance-a/4');
    const current = callOf(request, 'instance-a/4', await attemptOf(request, 1), 'complete');
    const stale = callOf(request, 'instance-a/3', await attemptOf(request, 2), 'complete');

    await finishAndReport([current, stale]);

    expect(await eventIdsOf(request)).toEqual([current.event!.id]);
  });

  it('writes no event at all when the accepted call puts the request back to pending', async () => {
    const request = await inProgress('instance-a/6');
    const stale = callOf(request, 'instance-a/5', await attemptOf(request, 1), 'complete');
    const current = callOf(request, 'instance-a/6', await attemptOf(request, 2), 'retry');

    const accepted = await finishAndReport([stale, current]);

    expect(await eventIdsOf(request)).toEqual([]); // not `completed` while the row is pending
    expect(accepted).toEqual([{ id: request.id, lease_owner: 'instance-a/6' }]);
    expect(await stateOf(request)).toEqual({ status: 'pending', lease_owner: null });
  });
});
