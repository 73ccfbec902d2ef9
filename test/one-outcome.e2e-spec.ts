import { randomUUID } from 'node:crypto';
import { DEFAULT_TOPICS, validateCompletedEvent, validateFailedEvent } from '#contracts';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestDatabase } from './support/database.js';
import { checkInvariants, recordScenario } from './support/invariants.js';
import { KafkaTestClient } from './support/kafka-test-client.js';
import { sampleRequest } from './support/requests.js';
import { ServiceProcess } from './support/service-process.js';
import { RunningSimulator } from './support/simulator-harness.js';
import { waitFor } from './support/wait-for.js';

type Request = ReturnType<typeof sampleRequest>;

/**
 * Exactly one outcome per requestId, repeats included: a repeat of a request under way is
 * answered with that request's result when it ends — failures too, and across a crash.
 * (Repeats while in progress, after completion and racing on other partitions: idempotency.e2e-spec.ts.)
 */
describe("one outcome per request: a repeat answers with its original's result", () => {
  let simulator: RunningSimulator;
  let kafka: KafkaTestClient;
  let db: TestDatabase;
  let running: ServiceProcess[] = [];

  beforeAll(async () => {
    simulator = await RunningSimulator.start();
    kafka = new KafkaTestClient(inject('kafkaBrokers'));
    await kafka.watch([DEFAULT_TOPICS.completed, DEFAULT_TOPICS.failed]);
    db = new TestDatabase();
  });

  afterEach(async () => {
    await simulator.release();
    await Promise.all(running.map((instance) => instance.kill()));
    running = [];
  });

  afterAll(async () => {
    await kafka?.close();
    await simulator?.reset();
    await simulator?.close();
    await db?.close();
  });

  async function startInstance(name: string, env: Record<string, string> = {}) {
    const instance = await ServiceProcess.start(name, simulator.url, { ITNIOTECH_TIMEOUT_MS: '60000', ...env });
    running.push(instance);
    return instance;
  }

  const repeatOf = (request: Request): Request => ({ ...request, requestId: `e2e-${randomUUID()}`, correlationId: `corr-${randomUUID()}` });

  function outcomesOf(requestId: string) {
    return [
      ...kafka.messagesOn(DEFAULT_TOPICS.completed, (m) => m.json?.requestId === requestId),
      ...kafka.messagesOn(DEFAULT_TOPICS.failed, (m) => m.json?.requestId === requestId),
    ];
  }

  function waitForRow(requestId: string, condition: string) {
    return waitFor(`request ${requestId} to be ${condition}`, () =>
      db.one(`SELECT * FROM resend_request WHERE request_id = $1 AND ${condition}`, [requestId]),
    );
  }

  it('a repeat of a request that then fails gets the same failure, and the keyId can be resent afterwards', async () => {
    const startedAt = Date.now();
    await startInstance('one-outcome-failure');
    const first = sampleRequest();
    const repeat = repeatOf(first);
    // The first call waits at the simulator, then is refused for good (-42).
    await simulator.addFault({
      match: { keyId: first.keyId },
      times: 1,
      hold: true,
      delayPhase: 'before_processing',
      answer: { status: -42 },
    });
    await kafka.sendJson(DEFAULT_TOPICS.requested, first, String(first.keyId));
    await waitFor('the first call to be held', async () => (await simulator.held()).count === 1);
    await kafka.sendJson(DEFAULT_TOPICS.requested, repeat, String(first.keyId));
    await waitForRow(repeat.requestId, `status = 'duplicate'`);
    expect(outcomesOf(repeat.requestId)).toEqual([]);

    await simulator.release();
    const [original] = await kafka.waitForMessages(DEFAULT_TOPICS.failed, (m) => m.json?.requestId === first.requestId);
    const [answered] = await kafka.waitForMessages(DEFAULT_TOPICS.failed, (m) => m.json?.requestId === repeat.requestId);
    expect(answered!.json).toMatchObject({
      requestId: repeat.requestId,
      correlationId: repeat.correlationId,
      keyId: first.keyId,
      attempts: 0,
      error: original!.json.error,
      duplicateOf: { requestId: first.requestId, newKeyId: null },
    });
    expect(original!.json.error).toMatchObject({ code: '-42', category: 'provider_rejected' });
    expect(validateFailedEvent(answered!.json)).toEqual([]);
    expect(await db.one(`SELECT status, error_code, error_category FROM resend_request WHERE request_id = $1`, [repeat.requestId])).toEqual(
      {
        status: 'duplicate',
        error_code: '-42',
        error_category: 'provider_rejected',
      },
    );

    // The keyId is free again: a new request with the same payload is a new submission.
    const again = repeatOf(first);
    await kafka.sendJson(DEFAULT_TOPICS.requested, again, String(first.keyId));
    const [completed] = await kafka.waitForMessages(DEFAULT_TOPICS.completed, (m) => m.json?.requestId === again.requestId);
    expect(completed!.json).toMatchObject({ attempts: 1 });
    expect(completed!.json.duplicateOf).toBeUndefined();
    expect(await simulator.tasksFor(first.keyId)).toHaveLength(1);

    const report = await checkInvariants([first, repeat, again], { db, kafka, simulator });
    recordScenario('repeat of a request that fails', 'provider -42', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    for (const { requestId } of [first, repeat, again]) expect(outcomesOf(requestId)).toHaveLength(1);
  });

  it("killed between the original's provider answer and its final state: the survivor ends both in one transaction", async () => {
    const startedAt = Date.now();
    const victim = await startInstance('one-outcome-victim', { RESEND_RELAY_FAILPOINTS: 'before_result_commit' });
    const first = sampleRequest();
    const repeat = repeatOf(first);
    await kafka.sendJson(DEFAULT_TOPICS.requested, first, String(first.keyId));
    await victim.waitForOutput(/FAILPOINT before_result_commit/);
    // The provider created the task; its answer is not recorded. The repeat is recorded meanwhile (intake runs on).
    await kafka.sendJson(DEFAULT_TOPICS.requested, repeat, String(first.keyId));
    const waiting = await waitForRow(repeat.requestId, `status = 'duplicate'`);
    expect(waiting.finished_at).toBeNull();
    await victim.kill();

    await startInstance('one-outcome-survivor');
    const [completed] = await kafka.waitForMessages(DEFAULT_TOPICS.completed, (m) => m.json?.requestId === first.requestId, 1, 90_000);
    const [answered] = await kafka.waitForMessages(DEFAULT_TOPICS.completed, (m) => m.json?.requestId === repeat.requestId, 1, 90_000);
    const tasks = await simulator.tasksFor(first.keyId);
    expect(tasks).toHaveLength(1);
    expect(completed!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, resolvedByLookup: true });
    expect(answered!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 0, duplicateOf: { requestId: first.requestId } });
    expect(validateCompletedEvent(answered!.json)).toEqual([]);
    // One transaction: the same now() on both rows.
    const rows = await db.rows<{ finished_at: Date }>(`SELECT finished_at FROM resend_request WHERE request_id = ANY($1)`, [
      [first.requestId, repeat.requestId],
    ]);
    expect(new Set(rows.map((row) => row.finished_at.toISOString())).size).toBe(1);

    const report = await checkInvariants([first, repeat], { db, kafka, simulator });
    recordScenario("SIGKILL before the original's result, repeat waiting", '1 kill', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  });
});
