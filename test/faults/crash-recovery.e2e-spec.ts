import { TEST_CALL_TIMEOUT_MS } from '../support/service-harness.js';
import type { FailpointName } from '#common';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SUITE_UNIQUE_TASK_NAMES, recordScenario, suiteSize, waitUntilSettled, type InvariantReport } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';
import { scenarioTopic } from '../support/scenario-kit.js';

/**
 * SIGKILL the service at each point of the flow, restart it, and check the promise: the request
 * ends terminal, with exactly one outcome event id and exactly one provider task. The scenarios
 * run side by side, each on a requested topic and consumer group of its own (the outcome topics,
 * the database and the simulator are shared, and every check is by requestId or keyId).
 */
describe('crash recovery: SIGKILL at every point of the flow', () => {
  // With unique task names off (the short runs, and one pass of scripts/fault-suite.sh), a second
  // call would make a second task instead of a -41.
  const parts = useServiceProcesses({ concurrent: true, simulator: { uniqueTaskNames: FAULT_SUITE_UNIQUE_TASK_NAMES } });

  /**
   * No faults at the provider here: a call that reaches it creates the task at once. So after a
   * kill (an unknown outcome) the lookup finds the task whenever there was a call, and the
   * service never calls a second time for a request: not even a call refused with -41.
   */
  function expectOneCallPerRequest(report: InvariantReport) {
    expect(report).toMatchObject({
      lost: [],
      duplicateTasks: 0,
      duplicateEventIds: [],
      uniqueTaskNames: FAULT_SUITE_UNIQUE_TASK_NAMES,
      secondResendCalls: [],
      resendCallsAnsweredTaskExists: 0,
    });
  }

  /**
   * A requested topic and group of the scenario's own: its instances take only its messages.
   * The simulator runs in the test's process, beside six other files and the model check: a call a
   * killed instance sent may be processed seconds late. The service believes a lookup's "not found"
   * only after the settle delay (the provider's processing must end within it, docs/guarantees.md),
   * so here it is eight call timeouts, as in the chaos scenario, instead of the default two.
   */
  async function ownTopic(name: string) {
    const scenario = await scenarioTopic(e2e.kafkaBrokers, name);
    const settle = { ITNIOTECH_LOOKUP_SETTLE_MS: String(8 * TEST_CALL_TIMEOUT_MS) };
    return {
      ...scenario,
      start: (instance: string, env: Record<string, string> = {}) => parts.start(instance, { ...scenario.env, ...settle, ...env }),
    };
  }

  async function expectExactlyOnce(sent: ReturnType<typeof sampleRequest>) {
    const row = await waitFor('the request to be terminal', () =>
      parts.db.one(`SELECT * FROM resend_request WHERE request_id = $1 AND status IN ('completed', 'failed')`, [sent.requestId]),
    );
    expect(row.status).toBe('completed');
    const copies = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
    const tasks = await parts.simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(copies[0]!.json.newKeyId).toBe(tasks[0]!.taskId);
    expect(new Set(copies.map((copy) => copy.headers.ce_id)).size).toBe(1);
    expect(await parts.db.rows(`SELECT 1 FROM resend_request WHERE key_id = $1`, [sent.keyId])).toHaveLength(1);
    return { row, copies };
  }

  beforeAll(async () => {
    await parts.kafka.watch([TOPICS.completed, TOPICS.failed]);
  });

  const failpoints: FailpointName[] = ['after_request_recorded', 'after_claim', 'before_result_commit', 'before_publish', 'after_publish'];

  const rounds = suiteSize(1, 5);

  it.concurrent.each(failpoints)('killed at %s: resumes and completes exactly once', async (point) => {
    const startedAt = Date.now();
    const own = await ownTopic(`crash-${point}`);
    const sent: ReturnType<typeof sampleRequest>[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const victim = await own.start(`crash-${point}-${round}`, { RESEND_RELAY_FAILPOINTS: point });
      const request = sampleRequest();
      sent.push(request);
      await parts.kafka.sendJson(own.topic, request);
      await victim.waitForOutput(new RegExp(`FAILPOINT ${point}`));
      await victim.kill();

      const survivor = await own.start(`resume-${point}-${round}`);
      const { row } = await expectExactlyOnce(request);
      // Killed after the provider answered, before recording it: resolved by looking the task up.
      // (At after_request_recorded only the consumer is frozen: the worker may already have
      // called the provider, or be calling it, when the kill comes; either way is correct.)
      if (point !== 'after_request_recorded') {
        expect(row.resolved_by_lookup).toBe(point === 'before_result_commit');
      }
      await survivor.stop();
    }
    const report = await waitUntilSettled(sent, parts);
    recordScenario(`SIGKILL at ${point}`, `${rounds} kills`, report, startedAt);
    expectOneCallPerRequest(report);
  });

  it.concurrent(
    'killed in the middle of a fetched batch (some chunks committed, offsets not): every request recorded and completed once',
    async () => {
      const startedAt = Date.now();
      const own = await ownTopic('crash-mid-batch');
      const sent = Array.from({ length: suiteSize(600, 3000) }, () => sampleRequest());
      // The whole backlog is there before the instance starts: each partition's first fetch is many chunks.
      await parts.kafka.send(
        own.topic,
        sent.map((request) => ({ key: String(request.keyId), value: JSON.stringify(request) })),
      );
      const victim = await own.start('crash-mid-batch', { RESEND_RELAY_FAILPOINTS: 'after_request_recorded', INTAKE_BATCH_SIZE: '50' });
      await victim.waitForOutput(/FAILPOINT after_request_recorded/);
      // Wait until the other partitions have reached the failpoint too (their first chunk committed), then kill.
      const recordedAtKill = await waitFor('a chunk of every partition to be recorded', async () => {
        const rows = await parts.db.rows<{ kafka_partition: number; count: string }>(
          `SELECT kafka_partition, count(*) AS count FROM resend_request WHERE request_id = ANY($1) GROUP BY 1`,
          [sent.map((request) => request.requestId)],
        );
        return rows.length === 3 ? rows.reduce((total, row) => total + Number(row.count), 0) : undefined;
      });
      await victim.kill();
      // Mid-batch: some chunks committed, the rest of the fetched batches not recorded.
      expect(recordedAtKill).toBeGreaterThan(0);
      expect(recordedAtKill).toBeLessThan(sent.length);

      const survivor = await own.start('resume-mid-batch');
      const report = await waitUntilSettled(sent, parts, 180_000);
      recordScenario('SIGKILL in the middle of a batch', `1 kill after ${recordedAtKill} of ${sent.length} recorded`, report, startedAt);
      expectOneCallPerRequest(report);
      expect(report.byStatus).toEqual({ completed: sent.length });
      // Recorded once each: the redelivered chunks were recognised.
      const [counted] = await parts.db.rows<{ rows: string }>(`SELECT count(*) AS rows FROM resend_request WHERE request_id = ANY($1)`, [
        sent.map((request) => request.requestId),
      ]);
      expect(Number(counted!.rows)).toBe(sent.length);
      await survivor.stop();
    },
  );

  it.concurrent('killed while the provider call is in flight: resumes by lookup, one task', async () => {
    const startedAt = Date.now();
    const own = await ownTopic('crash-in-flight');
    const sent: ReturnType<typeof sampleRequest>[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const victim = await own.start(`crash-in-flight-${round}`);
      const request = sampleRequest();
      sent.push(request);
      await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, hold: true });
      await parts.kafka.sendJson(own.topic, request);
      await waitFor('the simulator to receive the call', async () => (await parts.simulator.tasksFor(request.keyId)).length === 1);
      await victim.kill();

      const survivor = await own.start(`resume-in-flight-${round}`);
      const { row } = await expectExactlyOnce(request);
      expect(row.resolved_by_lookup).toBe(true);
      await survivor.stop();
    }
    const report = await waitUntilSettled(sent, parts);
    recordScenario('SIGKILL with the call in flight', `${rounds} kills`, report, startedAt);
    expectOneCallPerRequest(report);
  });
});
