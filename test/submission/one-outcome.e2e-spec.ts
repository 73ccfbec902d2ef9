import { randomUUID } from 'node:crypto';
import { validateCompletedEvent, validateFailedEvent } from '#contracts';
import { describe, expect, it } from 'vitest';
import { checkInvariants, recordScenario } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

type Request = ReturnType<typeof sampleRequest>;

/**
 * Exactly one outcome per requestId, repeats included: a repeat of a request under way is
 * answered with that request's result when it ends — failures too, and across a crash.
 * (Repeats while in progress, after completion and racing on other partitions: idempotency.e2e-spec.ts.)
 */
describe("one outcome per request: a repeat answers with its original's result", () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed], env: { ITNIOTECH_TIMEOUT_MS: '60000' } });

  const repeatOf = (request: Request): Request => ({ ...request, requestId: `e2e-${randomUUID()}`, correlationId: `corr-${randomUUID()}` });

  function outcomesOf(requestId: string) {
    return [
      ...parts.kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requestId),
      ...parts.kafka.messagesOn(TOPICS.failed, (m) => m.json?.requestId === requestId),
    ];
  }

  function waitForRow(requestId: string, condition: string) {
    return waitFor(`request ${requestId} to be ${condition}`, () =>
      parts.db.one(`SELECT * FROM resend_request WHERE request_id = $1 AND ${condition}`, [requestId]),
    );
  }

  it('a repeat of a request that then fails gets the same failure, and the keyId can be resent afterwards', async () => {
    const startedAt = Date.now();
    await parts.start('one-outcome-failure');
    const first = sampleRequest();
    const repeat = repeatOf(first);
    // The first call waits at the simulator, then is refused for good (-42).
    await parts.simulator.addFault({
      match: { keyId: first.keyId },
      times: 1,
      hold: true,
      delayPhase: 'before_processing',
      answer: { status: -42 },
    });
    await parts.kafka.sendJson(TOPICS.requested, first, String(first.keyId));
    await waitFor('the first call to be held', async () => (await parts.simulator.held()).count === 1);
    await parts.kafka.sendJson(TOPICS.requested, repeat, String(first.keyId));
    await waitForRow(repeat.requestId, `status = 'duplicate'`);
    expect(outcomesOf(repeat.requestId)).toEqual([]);

    await parts.simulator.release();
    const [original] = await parts.kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === first.requestId);
    const [answered] = await parts.kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === repeat.requestId);
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
    expect(
      await parts.db.one(`SELECT status, error_code, error_category FROM resend_request WHERE request_id = $1`, [repeat.requestId]),
    ).toEqual({
      status: 'duplicate',
      error_code: '-42',
      error_category: 'provider_rejected',
    });

    // The keyId is free again: a new request with the same payload is a new submission.
    const again = repeatOf(first);
    await parts.kafka.sendJson(TOPICS.requested, again, String(first.keyId));
    const [completed] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === again.requestId);
    expect(completed!.json).toMatchObject({ attempts: 1 });
    expect(completed!.json.duplicateOf).toBeUndefined();
    expect(await parts.simulator.tasksFor(first.keyId)).toHaveLength(1);

    const report = await checkInvariants([first, repeat, again], parts);
    recordScenario('repeat of a request that fails', 'provider -42', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    for (const { requestId } of [first, repeat, again]) expect(outcomesOf(requestId)).toHaveLength(1);
  });

  it("killed between the original's provider answer and its final state: the survivor ends both in one transaction", async () => {
    const startedAt = Date.now();
    const victim = await parts.start('one-outcome-victim', { RESEND_RELAY_FAILPOINTS: 'before_result_commit' });
    const first = sampleRequest();
    const repeat = repeatOf(first);
    await parts.kafka.sendJson(TOPICS.requested, first, String(first.keyId));
    await victim.waitForOutput(/FAILPOINT before_result_commit/);
    // The provider created the task; its answer is not recorded. The repeat is recorded meanwhile (intake runs on).
    await parts.kafka.sendJson(TOPICS.requested, repeat, String(first.keyId));
    const waiting = await waitForRow(repeat.requestId, `status = 'duplicate'`);
    expect(waiting.finished_at).toBeNull();
    await victim.kill();

    await parts.start('one-outcome-survivor');
    const [completed] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === first.requestId, 1, 90_000);
    const [answered] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === repeat.requestId, 1, 90_000);
    const tasks = await parts.simulator.tasksFor(first.keyId);
    expect(tasks).toHaveLength(1);
    expect(completed!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, resolvedByLookup: true });
    expect(answered!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 0, duplicateOf: { requestId: first.requestId } });
    expect(validateCompletedEvent(answered!.json)).toEqual([]);
    // One transaction: the same now() on both rows.
    const rows = await parts.db.rows<{ finished_at: Date }>(`SELECT finished_at FROM resend_request WHERE request_id = ANY($1)`, [
      [first.requestId, repeat.requestId],
    ]);
    expect(new Set(rows.map((row) => row.finished_at.toISOString())).size).toBe(1);

    const report = await checkInvariants([first, repeat], parts);
    recordScenario("SIGKILL before the original's result, repeat waiting", '1 kill', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  });
});
