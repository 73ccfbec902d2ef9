import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/database.js';
import {
  FAULT_SUITE_UNIQUE_TASK_NAMES,
  LONG_RUN,
  recordScenario,
  suiteSize,
  waitUntilSettled,
  type InvariantReport,
} from '../support/invariants.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { publishRequests, scenarioTopic, stableMembers, type Request } from '../support/scenario-kit.js';
import { ServiceProcess } from '../support/service-process.js';
import { SimulatorProcess } from '../support/simulator-process.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

/** Six partitions: two members take three each, three members two each. */
const PARTITIONS = 6;
/**
 * Requests per second while the members change, and how many in all: 15 s of stream in `npm test`,
 * 90 s in the long run. Both scenarios run at once, on two cores shared with other files: at 100/s
 * each the instances fell 20 s behind, and the recovery times measured the backlog.
 */
const RATE = suiteSize(20, 50);
const TOTAL = suiteSize(300, 4500);
/**
 * The lookup's settle delay, eight call timeouts (as the chaos scenario of test/faults/outages.e2e-spec.ts):
 * at the default, two, the loaded machine's simulator created some tasks later than that after
 * the call began, and the lookups missed them (the limit in docs/guarantees.md, "What stands
 * between a lost answer and a second task"); their second calls were refused with -41.
 */
const MEMBER_ENV = { ITNIOTECH_TIMEOUT_MS: '3000', ITNIOTECH_LOOKUP_SETTLE_MS: String(8 * 3000) };
const SETTLE_TIMEOUT_MS = LONG_RUN ? 600_000 : 120_000;
const TEST_TIMEOUT_MS = LONG_RUN ? 1_800_000 : 180_000;

/**
 * Members joining and leaving the consumer group while requests flow at a steady rate: a third
 * instance joins a group of two (a rebalance), then one of the first two leaves with SIGTERM (its
 * shutdown path); in a second group, one of two is SIGKILLed (its partitions move once its session
 * expires, its claimed requests once their leases do). Nothing lost, no second task, one outcome
 * event id per request, and the time each change took to recover from. Real Kafka, PostgreSQL,
 * service processes; the two scenarios run side by side, each on a requested topic and consumer
 * group of its own.
 */
describe('membership changes: members join and leave the group under load', () => {
  const parts = {} as { simulator: SimulatorProcess; kafka: KafkaTestClient; db: TestDatabase };
  const instances: ServiceProcess[] = [];

  beforeAll(async () => {
    // The simulator in a process of its own, as in test/operations/scale.e2e-spec.ts: the test runner's busy
    // moments (publishing the streams, reading every outcome) would hold its answers back. With
    // unique task names off (the short runs, and one pass of scripts/fault-suite.sh), a second call
    // makes a second task instead of a -41; the call journal keeps every call of both scenarios
    // for the second-call count.
    parts.simulator = await SimulatorProcess.start({
      SIMULATOR_UNIQUE_TASK_NAMES: String(FAULT_SUITE_UNIQUE_TASK_NAMES),
      SIMULATOR_CALL_HISTORY_LIMIT: '100000',
    });
    parts.kafka = new KafkaTestClient(e2e.kafkaBrokers);
    await parts.kafka.watch([TOPICS.completed, TOPICS.failed]);
    parts.db = new TestDatabase();
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await parts.kafka?.close();
    await parts.simulator?.close();
    await parts.db?.close();
  });

  /** An instance against the simulator; its id `name` plus a random suffix (ids never repeat on one database). */
  async function startInstance(name: string, env: Record<string, string>): Promise<ServiceProcess> {
    const instance = await ServiceProcess.start(`${name}-${randomUUID().slice(0, 4)}`, parts.simulator.url, env);
    instances.push(instance);
    return instance;
  }

  /**
   * No faults at the provider: a second resend call could only follow an unknown outcome (a call
   * timing out on the loaded machine, or cut short by the kill) whose lookup found nothing, and
   * none may find a task of its name already there.
   */
  function expectClean(report: InvariantReport, sent: Request[]) {
    expect(report).toMatchObject({
      lost: [],
      duplicateTasks: 0,
      duplicateEventIds: [],
      uniqueTaskNames: FAULT_SUITE_UNIQUE_TASK_NAMES,
      secondResendCallsWithoutUnknownOutcome: [],
      resendCallsAnsweredTaskExists: 0,
    });
    expect(report.byStatus).toEqual({ completed: sent.length });
  }

  /** Requests of `requests` whose outcome event the test's consumer has not seen yet. */
  function withoutOutcome(requests: Request[]): Request[] {
    const answered = new Set(
      parts.kafka.received
        .filter((message) => message.topic === TOPICS.completed || message.topic === TOPICS.failed)
        .map((message) => message.json?.requestId),
    );
    return requests.filter((request) => !answered.has(request.requestId));
  }

  /**
   * Seconds from a membership change until the group is stable with `members` members and every
   * request sent until then has its outcome event: every request sent before the change, and
   * those sent while the group rebalanced.
   */
  async function recoveryAfter(changedAt: number, groupId: string, members: number, stream: SteadyStream): Promise<number> {
    await waitFor(
      `the group to be stable with ${members} members`,
      async () => (await stableMembers(e2e.kafkaBrokers, groupId)) === members,
      60_000,
      200,
    );
    const sentUntilStable = [...stream.sent];
    await waitFor(
      `the ${sentUntilStable.length} requests sent until the group was stable to have their outcome`,
      () => withoutOutcome(sentUntilStable).length === 0,
      SETTLE_TIMEOUT_MS,
      100,
    );
    return (Date.now() - changedAt) / 1000;
  }

  async function startMembers(scenario: Awaited<ReturnType<typeof scenarioTopic>>, names: string[]) {
    const members = await Promise.all(names.map((name) => startInstance(name, { ...scenario.env, ...MEMBER_ENV })));
    await waitFor(
      `${names.length} members in the consumer group`,
      async () => (await stableMembers(e2e.kafkaBrokers, scenario.groupId)) === names.length,
      60_000,
      200,
    );
    return members;
  }

  it.concurrent(
    'a third member joins while requests flow, then one leaves with SIGTERM: the joiner takes work, nothing lost or doubled',
    async () => {
      const scenario = await scenarioTopic(e2e.kafkaBrokers, 'members-join-leave', PARTITIONS);
      const [leaver, stayer] = await startMembers(scenario, ['join-leave-a', 'join-leave-b']);
      const requests = Array.from({ length: TOTAL }, () => sampleRequest());
      const startedAt = Date.now();
      const stream = publishSteadily(parts.kafka, scenario.topic, requests, RATE);

      await waitFor('a third of the stream to be sent', () => stream.sent.length >= TOTAL / 3, 60_000);
      const joinedAt = Date.now();
      const sentBeforeJoin = stream.sent.length;
      const joiner = await startInstance('join-leave-c', { ...scenario.env, ...MEMBER_ENV });
      const joinerStart = (Date.now() - joinedAt) / 1000;
      const joinRecovery = await recoveryAfter(joinedAt, scenario.groupId, 3, stream);

      await waitFor('two thirds of the stream to be sent', () => stream.sent.length >= (2 * TOTAL) / 3, 60_000);
      const leftAt = Date.now();
      const sentBeforeLeave = stream.sent.length;
      const [exitCode, leaveRecovery] = await Promise.all([leaver!.stop(), recoveryAfter(leftAt, scenario.groupId, 2, stream)]);

      await stream.finished;
      const report = await waitUntilSettled(requests, parts, SETTLE_TIMEOUT_MS);
      const joinerWork = workIn(joiner, requests);
      recordScenario(
        'member joins under load',
        `3rd instance joins 2 after ${sentBeforeJoin} of ${TOTAL} sent at ${RATE}/s; recovered in ${joinRecovery.toFixed(1)} s ` +
          `(spawn to group stable with 3 and every request sent until then with its outcome; ` +
          `its start, spawn to flow started, ${joinerStart.toFixed(1)} s); ` +
          `the joiner recorded ${joinerWork.recorded}, completed ${joinerWork.completed}`,
        report,
        startedAt,
      );
      recordScenario(
        'member leaves under load (SIGTERM)',
        `SIGTERM to 1 of 3 after ${sentBeforeLeave} of ${TOTAL} sent at ${RATE}/s; recovered in ${leaveRecovery.toFixed(1)} s ` +
          `(signal to group stable with 2 and every request sent until then with its outcome); exit ${exitCode}`,
        report,
        startedAt,
      );

      expectClean(report, requests);
      // The joiner was given partitions and worked them: it recorded requests and completed some.
      expect(joinerWork.recorded).toBeGreaterThan(0);
      expect(joinerWork.completed).toBeGreaterThan(0);
      // The shutdown path: calls in flight finished within the grace period, exit 0.
      expect(exitCode).toBe(0);
      expect(leaver!.log).not.toMatch(/still in flight after/);
      expect(await Promise.all([stayer!.stop(), joiner.stop()])).toEqual([0, 0]);
    },
    TEST_TIMEOUT_MS,
  );

  it.concurrent(
    'one of two members is SIGKILLed while requests flow: the survivor takes its partitions and its requests, nothing lost or doubled',
    async () => {
      const scenario = await scenarioTopic(e2e.kafkaBrokers, 'members-killed', PARTITIONS);
      const [victim, survivor] = await startMembers(scenario, ['killed-a', 'killed-b']);
      const requests = Array.from({ length: TOTAL }, () => sampleRequest());
      const startedAt = Date.now();
      const stream = publishSteadily(parts.kafka, scenario.topic, requests, RATE);

      await waitFor('a third of the stream to be sent', () => stream.sent.length >= TOTAL / 3, 60_000);
      const killedAt = Date.now();
      const sentBeforeKill = stream.sent.length;
      await victim!.kill();
      const killRecovery = await recoveryAfter(killedAt, scenario.groupId, 1, stream);

      await stream.finished;
      const report = await waitUntilSettled(requests, parts, SETTLE_TIMEOUT_MS);
      const victimWork = workIn(victim!, requests);
      const survivorWork = workIn(survivor!, requests);
      const [resumed] = await parts.db.rows<{ count: string }>(
        `SELECT count(*) AS count FROM resend_request WHERE request_id = ANY($1) AND resolved_by_lookup`,
        [requests.map((request) => request.requestId)],
      );
      recordScenario(
        'member killed under load (SIGKILL)',
        `SIGKILL to 1 of 2 after ${sentBeforeKill} of ${TOTAL} sent at ${RATE}/s; recovered in ${killRecovery.toFixed(1)} s ` +
          `(kill to group stable with 1 and every request sent until then with its outcome); ` +
          `killed member recorded ${victimWork.recorded}, survivor ${survivorWork.recorded} and ${survivorWork.redeliveries} redeliveries ignored; ${resumed!.count} completed by a lookup after the lease`,
        report,
        startedAt,
      );

      expectClean(report, requests);
      // The kill came while the victim held partitions: it had recorded requests of the stream.
      expect(victimWork.recorded).toBeGreaterThan(0);
      expect(await survivor!.stop()).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

interface SteadyStream {
  /** The requests Kafka has acknowledged, in the order sent. */
  sent: Request[];
  /** Settles once every request is sent. */
  finished: Promise<void>;
}

/**
 * Publishes `requests` at `perSecond`: a small batch every 100 ms, each due at its place in the
 * schedule from the start (a slow send is caught up, not carried forward). The pause between
 * batches paces the load; the test waits on `sent` and on conditions, never on the clock.
 */
function publishSteadily(kafka: KafkaTestClient, topic: string, requests: Request[], perSecond: number): SteadyStream {
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const sent: Request[] = [];
  const startedAt = Date.now();
  const finished = (async () => {
    for (let tick = 0; sent.length < requests.length; tick += 1) {
      const dueInMs = startedAt + tick * tickMs - Date.now();
      if (dueInMs > 0) await delay(dueInMs);
      const batch = requests.slice(sent.length, sent.length + perTick);
      await publishRequests(kafka, topic, batch);
      sent.push(...batch);
    }
  })();
  // Awaited by the test; a failure before then is not an unhandled rejection.
  finished.catch(() => undefined);
  return { sent, finished };
}

/**
 * What an instance did with these requests, from its log: requests it recorded, requests it
 * completed (the provider created the task on its call, or its lookup found the task of an earlier
 * call), redeliveries it recognised.
 */
function workIn(instance: ServiceProcess, requests: Request[]): { recorded: number; completed: number; redeliveries: number } {
  const ours = new Set(requests.map((request) => request.requestId));
  const count = (pattern: RegExp) =>
    new Set([...instance.log.matchAll(pattern)].map((match) => match[1]!).filter((id) => ours.has(id))).size;
  return {
    recorded: count(/recorded request (\S+) for keyId/g),
    completed: count(/request (\S+)(?: \(keyId \d+, attempt \d+\): provider created task|: earlier call did create task)/g),
    redeliveries: count(/ignored redelivery of request (\S+) /g),
  };
}
