import { randomUUID } from 'node:crypto';
import { validateCompletedEvent, validateFailedEvent } from '#contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/database.js';
import { checkInvariants, recordScenario, suiteSize, waitUntilSettled, type SentRequest } from '../support/invariants.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { PositionedProducer } from '../support/positioned-producer.js';
import { committedOffsets, endOffsets } from '../support/scenario-kit.js';
import { sampleRequest, uniqueKeyId } from '../support/requests.js';
import { startService, type RunningService } from '../support/service-harness.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

type Request = ReturnType<typeof sampleRequest>;

/** The requestId of an outcome event in the outbox (dead-letter copies carry arbitrary bytes: never decoded). */
const OUTCOME_REQUEST_ID = `CASE WHEN headers ? 'ce_id' AND NOT headers ? 'dlq_reason'
  THEN convert_from(message_value, 'UTF8')::jsonb->>'requestId' END`;

/**
 * "No request lost, no task created twice": the keyId is the idempotency key. Every scenario
 * checks the database, the outcome topics and the simulator's ledger of created tasks.
 */
describe('idempotency: one provider task per keyId, one outcome per request', () => {
  let simulator: RunningSimulator;
  let service: RunningService;
  let kafka: KafkaTestClient;
  let producer: PositionedProducer;
  let db: TestDatabase;
  const everySent: SentRequest[] = [];

  beforeAll(async () => {
    simulator = await RunningSimulator.start();
    // A long provider timeout: a held call stays in flight until the test releases it.
    service = await startService(simulator.url, { ITNIOTECH_TIMEOUT_MS: '60000' });
    kafka = new KafkaTestClient(e2e.kafkaBrokers);
    await kafka.watch([TOPICS.completed, TOPICS.failed, TOPICS.deadLetter]);
    producer = new PositionedProducer(e2e.kafkaBrokers);
    db = new TestDatabase();
  });

  afterAll(async () => {
    await simulator?.release().catch(() => undefined);
    await producer?.close();
    await kafka?.close();
    await service?.stop();
    await simulator?.close();
    await db?.close();
  });

  const parts = () => ({ db, kafka, simulator });

  /** Publishes the values in order on one partition (the same Kafka key for all). */
  async function publishInOrder(key: string, ...values: object[]) {
    await kafka.send(
      TOPICS.requested,
      values.map((value) => ({ key, value: JSON.stringify(value) })),
    );
  }

  function outcomesOf(requestId: string) {
    return [
      ...kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requestId),
      ...kafka.messagesOn(TOPICS.failed, (m) => m.json?.requestId === requestId),
    ];
  }

  function waitForCompleted(request: { requestId: string }, timeoutMs = 60_000) {
    return kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === request.requestId, 1, timeoutMs);
  }

  /** A request on the same partition, published last: once it completes, intake has handled everything before it. */
  function sentinel(): Request {
    return sampleRequest();
  }

  async function outboxRowsFor(requestId: string) {
    return db.rows(`SELECT id, topic FROM outbox_event WHERE ${OUTCOME_REQUEST_ID} = $1`, [requestId]);
  }

  function track(...requests: Request[]): void {
    everySent.push(...requests.map(({ requestId, keyId }) => ({ requestId, keyId })));
  }

  it('the same message delivered twice (same requestId): recorded once, sent once, one outcome event', async () => {
    const startedAt = Date.now();
    const request = sampleRequest();
    const last = sentinel();
    track(request, last);
    await publishInOrder(String(request.keyId), request, request, last);

    await waitForCompleted(last);
    const [completed] = await waitForCompleted(request);
    expect(await db.rows(`SELECT status FROM resend_request WHERE request_id = $1`, [request.requestId])).toEqual([
      { status: 'completed' },
    ]);
    expect(await db.rows(`SELECT 1 FROM resend_request WHERE key_id = $1`, [request.keyId])).toHaveLength(1);
    const tasks = await simulator.tasksFor(request.keyId);
    expect(tasks).toHaveLength(1);
    expect(completed!.json.newKeyId).toBe(tasks[0]!.taskId);
    expect(outcomesOf(request.requestId)).toHaveLength(1);
    expect(await outboxRowsFor(request.requestId)).toHaveLength(1);

    const report = await checkInvariants([request, last], parts());
    recordScenario('same message twice', 'redelivery by requestId', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  });

  it("a new request with the same payload while the first is in progress: a duplicate row, not sent, answered with the first one's result", async () => {
    const startedAt = Date.now();
    const first = sampleRequest();
    const repeat = { ...first, requestId: `e2e-${randomUUID()}`, correlationId: `corr-${randomUUID()}` };
    const conflicting = { ...first, requestId: `e2e-${randomUUID()}`, taskName: `${first.taskName} (changed)` };
    const last = sentinel();
    track(first, repeat, conflicting, last);
    const key = String(first.keyId);

    await simulator.addFault({ match: { keyId: first.keyId }, times: 1, hold: true });
    await publishInOrder(key, first);
    await waitFor('the provider call of the first request to be in flight', async () => (await simulator.held()).count === 1);
    const firstRow = await db.one(`SELECT id, status FROM resend_request WHERE request_id = $1`, [first.requestId]);
    expect(firstRow!.status).toBe('in_progress');

    await publishInOrder(key, repeat, conflicting, last);
    await waitForCompleted(last);

    // Decided while the first request was still in flight.
    expect((await db.one(`SELECT status FROM resend_request WHERE id = $1`, [firstRow!.id]))!.status).toBe('in_progress');
    const repeatRow = await db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [repeat.requestId]);
    expect(repeatRow).toMatchObject({ status: 'duplicate', duplicate_of: firstRow!.id, attempts: 0 });
    // Waiting for the first request's result: not answered yet.
    expect(repeatRow!.finished_at).toBeNull();
    expect(outcomesOf(repeat.requestId)).toEqual([]);

    // Different payload: refused with a failed event naming the earlier request, which has no task yet.
    const [refused] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === conflicting.requestId);
    expect(refused!.json).toMatchObject({
      keyId: first.keyId,
      attempts: 0,
      error: { code: 'DUPLICATE_KEY_ID', category: 'duplicate' },
      duplicateOf: { requestId: first.requestId, newKeyId: null },
    });
    expect(validateFailedEvent(refused!.json)).toEqual([]);
    expect(await db.one(`SELECT status, duplicate_of FROM resend_request WHERE request_id = $1`, [conflicting.requestId])).toEqual({
      status: 'failed',
      duplicate_of: firstRow!.id,
    });

    await simulator.release();
    const [completed] = await waitForCompleted(first);
    const tasks = await simulator.tasksFor(first.keyId);
    expect(tasks).toHaveLength(1);
    expect(completed!.json.newKeyId).toBe(tasks[0]!.taskId);

    // The repeat is answered with the first request's task, in the transaction that completed the first one.
    const [answered] = await waitForCompleted(repeat);
    expect(answered!.json).toMatchObject({
      requestId: repeat.requestId,
      correlationId: repeat.correlationId,
      newKeyId: tasks[0]!.taskId,
      attempts: 0,
      resolvedByLookup: false,
      duplicateOf: { requestId: first.requestId, newKeyId: tasks[0]!.taskId },
    });
    expect(validateCompletedEvent(answered!.json)).toEqual([]);
    const answeredRow = await db.one(`SELECT finished_at, provider_task_id FROM resend_request WHERE request_id = $1`, [repeat.requestId]);
    const firstFinished = await db.one(`SELECT finished_at FROM resend_request WHERE id = $1`, [firstRow!.id]);
    expect(answeredRow).toEqual({ finished_at: firstFinished!.finished_at, provider_task_id: String(tasks[0]!.taskId) });
    expect(await outboxRowsFor(repeat.requestId)).toHaveLength(1);
    expect(outcomesOf(repeat.requestId)).toHaveLength(1);
    expect(outcomesOf(conflicting.requestId)).toHaveLength(1);

    const report = await checkInvariants([first, repeat, conflicting, last], parts());
    recordScenario('repeat while in progress', 'held provider call', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ completed: 2, duplicate: 1, failed: 1 });
  });

  it('a new request for a completed keyId: same payload is answered at once with the task, a different payload a failed `duplicate` event', async () => {
    const startedAt = Date.now();
    const first = sampleRequest();
    track(first);
    await publishInOrder(String(first.keyId), first);
    const [completed] = await waitForCompleted(first);
    const firstRow = await db.one(`SELECT id FROM resend_request WHERE request_id = $1`, [first.requestId]);

    // Key order and spaces differ, and the taskName has extra spaces: the normalised body is the same.
    const { keyId, taskName, ...rest } = first;
    const repeat = { ...rest, taskName: `  ${taskName} `, keyId, requestId: `e2e-${randomUUID()}` };
    const conflicting = { ...first, requestId: `e2e-${randomUUID()}`, resendType: 0 as const };
    const last = sentinel();
    track(repeat, conflicting, last);
    await publishInOrder(String(first.keyId), repeat, conflicting, last);
    await waitForCompleted(last);

    expect(await db.one(`SELECT status, duplicate_of FROM resend_request WHERE request_id = $1`, [repeat.requestId])).toEqual({
      status: 'duplicate',
      duplicate_of: firstRow!.id,
    });
    const [refused] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === conflicting.requestId);
    expect(refused!.json).toMatchObject({
      error: { category: 'duplicate', code: 'DUPLICATE_KEY_ID' },
      duplicateOf: { requestId: first.requestId, newKeyId: completed!.json.newKeyId },
    });
    expect(refused!.json.error.message).toContain(first.requestId);
    expect(refused!.headers.ce_subject).toBe(String(first.keyId));
    expect(await simulator.tasksFor(first.keyId)).toHaveLength(1);
    const [answered] = await waitForCompleted(repeat);
    expect(answered!.json).toMatchObject({
      requestId: repeat.requestId,
      newKeyId: completed!.json.newKeyId,
      attempts: 0,
      duplicateOf: { requestId: first.requestId, newKeyId: completed!.json.newKeyId },
    });
    expect(validateCompletedEvent(answered!.json)).toEqual([]);
    expect(await outboxRowsFor(repeat.requestId)).toHaveLength(1);
    expect(outcomesOf(repeat.requestId)).toHaveLength(1);
    expect(outcomesOf(first.requestId)).toHaveLength(1);

    const report = await checkInvariants([first, repeat, conflicting, last], parts());
    recordScenario('repeat after completion', 'none', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  });

  it('after the earlier request failed (provider -42), a new request for the keyId is sent and completes', async () => {
    const startedAt = Date.now();
    const first = sampleRequest();
    track(first);
    await simulator.addFault({ match: { keyId: first.keyId }, times: 1, answer: { status: '-42' } });
    await publishInOrder(String(first.keyId), first);
    const [failed] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === first.requestId);
    expect(failed!.json.error).toMatchObject({ code: '-42', category: 'provider_rejected' });
    expect(await simulator.tasksFor(first.keyId)).toHaveLength(0);

    const again = { ...first, requestId: `e2e-${randomUUID()}` };
    const repeatOfAgain = { ...first, requestId: `e2e-${randomUUID()}` };
    track(again, repeatOfAgain);
    await publishInOrder(String(first.keyId), again);
    const [completed] = await waitForCompleted(again);
    const tasks = await simulator.tasksFor(first.keyId);
    expect(tasks).toHaveLength(1);
    expect(completed!.json).toMatchObject({ keyId: first.keyId, newKeyId: tasks[0]!.taskId, attempts: 1 });
    const againRow = await db.one(`SELECT id, duplicate_of FROM resend_request WHERE request_id = $1`, [again.requestId]);
    expect(againRow!.duplicate_of).toBeNull();

    // From now on the keyId is held by the completed request.
    const last = sentinel();
    track(last);
    await publishInOrder(String(first.keyId), repeatOfAgain, last);
    await waitForCompleted(last);
    expect(await db.one(`SELECT status, duplicate_of FROM resend_request WHERE request_id = $1`, [repeatOfAgain.requestId])).toEqual({
      status: 'duplicate',
      duplicate_of: againRow!.id,
    });
    expect(await simulator.tasksFor(first.keyId)).toHaveLength(1);

    const report = await checkInvariants([first, again, repeatOfAgain, last], parts());
    recordScenario('new request after a failure', 'provider -42 once', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ failed: 1, completed: 2, duplicate: 1 });
  });

  it("a failed request's requestId used again is ignored as a redelivery: nothing recorded, nothing sent, no new outcome event", async () => {
    const first = sampleRequest();
    track(first);
    await simulator.addFault({ match: { keyId: first.keyId }, times: 1, answer: { status: '-42' } });
    await publishInOrder(String(first.keyId), first);
    await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === first.requestId);

    // Published again as it was (the provider would accept it now), then a sentinel behind it on its partition.
    const last = sentinel();
    track(last);
    await publishInOrder(String(first.keyId), first, last);
    await waitForCompleted(last);
    expect(await db.rows(`SELECT status, error_code FROM resend_request WHERE key_id = $1`, [first.keyId])).toEqual([
      { status: 'failed', error_code: '-42' },
    ]);
    expect(await simulator.tasksFor(first.keyId)).toEqual([]);
    const { calls } = await simulator.calls();
    expect(calls.filter((call) => call.keyId === first.keyId)).toHaveLength(1);
    expect(outcomesOf(first.requestId)).toHaveLength(1);
    expect(await outboxRowsFor(first.requestId)).toHaveLength(1);
  });

  it('a requestId used again for a different request (another keyId and task) is ignored silently: no row, no call, no event, no dead letter', async () => {
    const first = sampleRequest();
    const other = sampleRequest({ requestId: first.requestId });
    const last = sentinel();
    track(first, last);
    await publishInOrder(String(first.keyId), first, other, last);
    await waitForCompleted(last);
    await waitForCompleted(first);

    expect(await db.rows(`SELECT key_id, task_name, status FROM resend_request WHERE request_id = $1`, [first.requestId])).toEqual([
      { key_id: String(first.keyId), task_name: first.taskName, status: 'completed' },
    ]);
    expect(await db.rows(`SELECT 1 FROM resend_request WHERE key_id = $1`, [other.keyId])).toEqual([]);
    expect(await simulator.tasksFor(other.keyId)).toEqual([]);
    const { calls } = await simulator.calls();
    expect(calls.filter((call) => call.keyId === other.keyId)).toEqual([]);
    expect(outcomesOf(first.requestId)).toHaveLength(1);
    expect(kafka.messagesOn(TOPICS.deadLetter, (m) => m.json?.requestId === first.requestId)).toEqual([]);
    expect(
      await db.rows(`SELECT 1 FROM dead_letter WHERE position(convert_to($1, 'UTF8') IN message_value) > 0`, [other.taskName]),
    ).toEqual([]);
  });

  it('repeats racing on different partitions: one task per keyId, one outcome per request', async () => {
    const startedAt = Date.now();
    const keyIds = suiteSize(8, 80);
    const sent: Request[] = [];
    const messages = [];
    for (let index = 0; index < keyIds; index += 1) {
      const original = sampleRequest();
      const repeat = { ...original, requestId: `e2e-${randomUUID()}` };
      sent.push(original, repeat);
      // The original on one partition, its repeat and a redelivered copy of the original on the two others.
      const value = (body: object) => JSON.stringify(body);
      messages.push(
        { key: null, partition: index % 3, value: value(original) },
        { key: null, partition: (index + 1) % 3, value: value(repeat) },
        { key: null, partition: (index + 2) % 3, value: value(original) },
      );
    }
    track(...sent);
    // A second instance in the same consumer group takes some partitions: the copies are
    // recorded by two processes at once, and both workers claim.
    const peer = await ServiceProcess.start('idempotency-peer', simulator.url, { ITNIOTECH_TIMEOUT_MS: '60000' });
    let report;
    try {
      await producer.send(TOPICS.requested, messages);
      report = await waitUntilSettled(sent, parts(), 120_000);
    } finally {
      await peer.stop();
    }
    recordScenario('repeats racing across partitions', `${keyIds} keyIds x 3 messages`, report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ completed: keyIds, duplicate: keyIds });
    for (let index = 0; index < sent.length; index += 2) {
      const keyId = sent[index]!.keyId;
      expect(await simulator.tasksFor(keyId)).toHaveLength(1);
      const rows = await db.rows(`SELECT status FROM resend_request WHERE key_id = $1 ORDER BY status`, [keyId]);
      expect(rows.map((row) => row.status)).toEqual(['completed', 'duplicate']);
    }
    // Exactly one outcome event per request: the completed request's, and its repeat's with the same task.
    for (const { requestId } of sent) {
      const outcomes = kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requestId);
      expect(new Set(outcomes.map((m) => m.headers.ce_id)).size, requestId).toBe(1);
    }
    for (let index = 0; index < sent.length; index += 2) {
      const [original, repeat] = [sent[index]!, sent[index + 1]!].map(
        ({ requestId }) => kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requestId)[0]!.json,
      );
      // Whichever copy won the race is the original; the other names it.
      const answered = original.duplicateOf ? original : repeat;
      const winner = original.duplicateOf ? repeat : original;
      expect(answered).toMatchObject({ attempts: 0, newKeyId: winner.newKeyId, duplicateOf: { requestId: winner.requestId } });
    }
  }, 240_000);

  it('the database enforces one live or completed request per keyId (unique index), whatever the code does', async () => {
    const keyId = uniqueKeyId();
    const client = new pg.Client({ connectionString: e2e.databaseUrl });
    await client.connect();
    const insert = (status: string, suffix: string) =>
      client.query(
        `INSERT INTO resend_request (request_id, key_id, status, payload, provider_body, kafka_topic, kafka_partition, kafka_offset)
         VALUES ($1, $2, $3, '{}', '{}', 'sql-test', 0, $4)`,
        [`sql-${suffix}-${randomUUID()}`, keyId, status, Math.floor(Math.random() * 1e12)],
      );
    try {
      await client.query('BEGIN');
      await insert('completed', 'first');
      // Terminal states that do not hold the keyId may sit beside it.
      await insert('failed', 'failed');
      await insert('duplicate', 'duplicate');
      for (const status of ['pending', 'in_progress', 'completed']) {
        await client.query('SAVEPOINT second');
        const error = await insert(status, 'second').then(
          () => null,
          (caught: unknown) => caught as { code?: string; constraint?: string },
        );
        expect(error, `a second ${status} row`).toMatchObject({
          code: '23505',
          constraint: 'resend_request_one_live_per_key_id',
        });
        await client.query('ROLLBACK TO SAVEPOINT second');
      }
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });

  it('a fresh consumer group re-reading the whole topic (same positions, derived ids, dead letters) records and sends nothing new', async () => {
    const startedAt = Date.now();
    // Requests without requestId: their id is derived from topic:partition:offset.
    const anonymous = [sampleRequest(), sampleRequest()].map(({ requestId: _requestId, ...rest }) => rest);
    const last = sentinel();
    const key = String(anonymous[0]!.keyId);
    const positions = await producer.send(TOPICS.requested, [
      { key, partition: 0, value: JSON.stringify(anonymous[0]) },
      { key, partition: 0, value: 'not JSON at all' },
      { key, partition: 0, value: JSON.stringify({ ...sampleRequest(), keyId: 'twelve' }) },
      { key, partition: 0, value: '{"keyId": 7, "taskName": "nul \\u0000 inside"}' },
      { key, partition: 0, value: null },
      { key, partition: 0, value: JSON.stringify(anonymous[1]) },
      { key, partition: 0, value: JSON.stringify(last) },
    ]);
    const derivedIds = [positions[0]!, positions[5]!].map((p) => `${TOPICS.requested}:${p.partition}:${p.offset}`);
    everySent.push(...anonymous.map((request, index) => ({ requestId: derivedIds[index]!, keyId: request.keyId })), {
      requestId: last.requestId,
      keyId: last.keyId,
    });
    await waitForCompleted(last);
    for (const requestId of derivedIds) await waitForCompleted({ requestId });
    const isOurDeadLetter = (m: { headers: Record<string, string> }) =>
      m.headers.dlq_source_partition === '0' &&
      Number(m.headers.dlq_source_offset) > positions[0]!.offset &&
      Number(m.headers.dlq_source_offset) < positions[5]!.offset;
    await kafka.waitForMessages(TOPICS.deadLetter, isOurDeadLetter, 4);

    // Everything recorded so far is settled and published before the audit record is read.
    const settled = await waitUntilSettled(everySent, parts(), 120_000);
    expect(settled.lost).toEqual([]);
    await waitForOutboxPublished();
    const before = await auditSnapshot();
    const topicEnds = await endOffsets(e2e.kafkaBrokers, TOPICS.requested);

    // A consumer group that has committed nothing reads every message of the file's topic again
    // (every one of them already recorded in the file's database).
    const replayGroup = `resend-relay-replay-${randomUUID()}`;
    const replay = await ServiceProcess.start('idempotency-replay', simulator.url, { KAFKA_GROUP_ID: replayGroup });
    try {
      await waitFor(
        'the replaying group to commit the end of every partition (a message it cannot get past would stall it)',
        async () => {
          const committed = await committedOffsets(e2e.kafkaBrokers, replayGroup, TOPICS.requested);
          return [...topicEnds].every(([partition, end]) => (committed.get(partition) ?? -1) >= end);
        },
        120_000,
        500,
      );
      await waitForOutboxPublished();
      const after = await auditSnapshot();
      expect(replay.log).toMatch(/ignored redelivery of request/);

      // No request that was final before the replay changed.
      for (const [id, state] of before.requests) expect(after.requests.get(id), `request row ${id}`).toBe(state);
      // No new outcome event for a request recorded before, no second dead-letter copy of a message.
      const newOutbox = after.outbox.filter((row) => !before.outboxIds.has(row.id));
      const knownRequestIds = new Set(before.requestIds);
      expect(newOutbox.filter((row) => row.request_id !== null && knownRequestIds.has(row.request_id))).toEqual([]);
      const knownDeadLetters = new Set(before.deadLetterPositions.map((position) => position.slice(position.indexOf(':') + 1)));
      expect(newOutbox.filter((row) => row.dlq_position !== null && knownDeadLetters.has(row.dlq_position))).toEqual([]);
      // Every message the replay read was dead-lettered already, or recorded: it adds no dead letter.
      expect(after.deadLetterPositions).toEqual(before.deadLetterPositions);
      // No provider call for any keyId of this file.
      for (const [keyId, tasks] of before.tasksByKeyId) expect(after.tasksByKeyId.get(keyId), `tasks of keyId ${keyId}`).toBe(tasks);

      for (const requestId of derivedIds) {
        expect(await db.rows(`SELECT 1 FROM resend_request WHERE request_id = $1`, [requestId])).toHaveLength(1);
        expect(outcomesOf(requestId)).toHaveLength(1);
      }
      expect(
        kafka
          .messagesOn(TOPICS.deadLetter, isOurDeadLetter)
          .map((m) => m.headers.dlq_reason)
          .sort(),
      ).toEqual(['no_usable_key_id', 'not_json', 'not_json', 'unrecordable']);
    } finally {
      await replay.stop();
    }

    const report = await checkInvariants(everySent, parts());
    recordScenario('replay of the whole topic', `fresh consumer group, ${everySent.length} requests`, report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  }, 360_000);

  function waitForOutboxPublished() {
    return waitFor(
      'the outbox to be published',
      async () =>
        Number((await db.one(`SELECT count(*) AS n FROM outbox_event WHERE published_at IS NULL AND refused_at IS NULL`))!.n) === 0,
      60_000,
    );
  }

  /** The audit record as far as a replay could disturb it. */
  async function auditSnapshot() {
    const requests = await db.rows<{ id: string; request_id: string; state: string }>(
      // Terminal rows only: a request an earlier test of this file left pending may legitimately finish meanwhile.
      `SELECT id, request_id, status || ' ' || updated_at::text AS state FROM resend_request
        WHERE status IN ('completed', 'failed', 'duplicate')`,
    );
    const deadLetters = await db.rows<{ position: string }>(
      `SELECT kafka_topic || ':' || kafka_partition || ':' || kafka_offset AS position FROM dead_letter ORDER BY 1`,
    );
    const outbox = await db.rows<{ id: string; request_id: string | null; dlq_position: string | null }>(
      `SELECT id, ${OUTCOME_REQUEST_ID} AS request_id,
              CASE WHEN headers ? 'dlq_reason' THEN (headers->>'dlq_source_partition') || ':' || (headers->>'dlq_source_offset') END AS dlq_position
         FROM outbox_event`,
    );
    const keyIds = new Set(everySent.map((request) => request.keyId));
    const tasksByKeyId = new Map<number, number>([...keyIds].map((keyId) => [keyId, 0]));
    for (const task of (await simulator.ledger()).tasks) {
      if (keyIds.has(task.keyId)) tasksByKeyId.set(task.keyId, tasksByKeyId.get(task.keyId)! + 1);
    }
    return {
      requests: new Map(requests.map((row) => [row.id, row.state])),
      requestIds: requests.map((row) => row.request_id),
      deadLetterPositions: deadLetters.map((row) => row.position),
      outbox,
      outboxIds: new Set(outbox.map((row) => row.id)),
      tasksByKeyId,
    };
  }
});
