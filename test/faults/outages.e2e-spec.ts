import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRuleInput } from '../../apps/itniotech-simulator/src/simulator-control.js';
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
import { PrivateKafka } from '../support/private-kafka.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { sampleRequest } from '../support/requests.js';
import {
  committedOffsets,
  healthStatus,
  livenessStatus,
  noisyLines,
  publishRequests,
  recordedCount,
  scenarioTopic,
  terminalCount,
  waitForHealth,
  type Request,
} from '../support/scenario-kit.js';
import { seededRandom } from '../support/seeded-random.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

const RESEND_PATH = '/voice/group/call/resend/ai';
const SETTLE_TIMEOUT_MS = LONG_RUN ? 1_200_000 : 150_000;
const TEST_TIMEOUT_MS = LONG_RUN ? 3_600_000 : 240_000;

/**
 * "No request lost, no task created twice" through outages of each dependency: the Kafka
 * broker, PostgreSQL and the provider, each stopped while requests flow and brought back, with
 * the service running throughout (it must recover on its own). Real Kafka, Postgres, HTTP.
 */
describe('outages: Kafka, PostgreSQL and the provider go away and come back', () => {
  // This file stops its broker: a broker of its own, so that the other files' keeps running.
  let broker: PrivateKafka;
  let brokers: string;
  let simulator: RunningSimulator;
  let db: TestDatabase;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await PrivateKafka.start(Object.values(TOPICS));
    brokers = broker.brokers;
    // Unique task names off (the short runs, one pass of scripts/fault-suite.sh): a second call
    // that gets through makes a second task, counted as a duplicate task, instead of a -41.
    simulator = await RunningSimulator.start({ uniqueTaskNames: FAULT_SUITE_UNIQUE_TASK_NAMES });
    db = new TestDatabase();
  });

  afterEach(async () => {
    // Newest first: services stop before what they depend on goes away.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await simulator.clearFaults();
    await simulator.release();
  });

  afterAll(async () => {
    await simulator?.reset();
    await simulator?.close();
    await db?.close();
    await broker?.close();
  });

  async function startService(name: string, providerUrl: string, env: Record<string, string>) {
    const instance = await ServiceProcess.start(name, providerUrl, { KAFKA_BROKERS: brokers, ...env });
    cleanups.push(() => instance.stop());
    return instance;
  }

  async function watchOutcomes() {
    const watcher = new KafkaTestClient(brokers);
    cleanups.push(() => watcher.close());
    await watcher.watch([TOPICS.completed, TOPICS.failed]);
    return watcher;
  }

  function newRequests(count: number): Request[] {
    return Array.from({ length: count }, () => sampleRequest());
  }

  /**
   * Besides nothing lost or doubled: a second resend call only for a request that had an unknown
   * outcome (after its lookup found nothing), and never one refused with -41 — every fault here
   * that creates a task creates it within the settle delay, so the lookup before a second call
   * finds it. (With unique names off, such a call would show as a duplicate task instead.)
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

  it(
    'Kafka broker stopped and restarted mid-stream: /health goes 503 and back, every request completes once',
    async () => {
      const startedAt = Date.now();
      const total = suiteSize(40, 400);
      const before = newRequests(Math.ceil(total / 2));
      const after = newRequests(total - before.length);
      const scenario = await scenarioTopic(brokers, 'kafka-outage');
      // Calls held through the broker's stop are answered, not timed out: a timeout would be one
      // warning per request, not the loops' noise this test bounds; the lease outlasts the timeout.
      const service = await startService(`outage-kafka-${randomBytes(2).toString('hex')}`, simulator.url, {
        ...scenario.env,
        ITNIOTECH_TIMEOUT_MS: '90000',
        SUBMISSION_LEASE_MS: '120000',
      });
      await waitForHealth(service.url, 200);

      // Provider answers are held until the broker is down, so that outcomes are certainly
      // decided during the outage (on an idle machine they could all be published before it).
      await simulator.addFault({ match: { path: '/voice/group/call/resend/ai' }, hold: true });
      const producer = new KafkaTestClient(brokers);
      await publishRequests(producer, scenario.topic, before);
      await producer.close();
      // Mid-stream: some of the first part recorded, not necessarily all of it.
      await waitFor('a quarter of the requests to be recorded', async () => (await recordedCount(db, before)) >= total / 4, 60_000);

      const logBeforeOutage = service.log.length;
      const outageStartedAt = Date.now();
      let outageLog = '';
      try {
        await broker.stop();
        await waitForHealth(service.url, 503, 60_000);
        await simulator.clearFaults();
        await simulator.release();
        // The outage lasts until what was recorded before it is decided in Postgres: the worker
        // keeps calling the provider without Kafka; the outcome events wait in the outbox.
        const recordedBeforeOutage = await db.rows<{ request_id: string }>(
          `SELECT request_id FROM resend_request WHERE request_id = ANY($1)`,
          [before.map((request) => request.requestId)],
        );
        await waitFor(
          'the requests recorded before the outage to be decided',
          async () =>
            (await terminalCount(
              db,
              recordedBeforeOutage.map((row) => ({ requestId: row.request_id })),
            )) === recordedBeforeOutage.length,
          90_000,
        );
        // ... and until the outbox relay has backed off several times in a row (growing delays).
        const relayFailures = suiteSize(4, 6);
        await waitFor(
          `the outbox relay to back off ${relayFailures} times`,
          () => service.log.slice(logBeforeOutage).includes(`outbox publish failed (${relayFailures} in a row)`),
          120_000,
        );
        const [waiting] = await db.rows<{ count: string }>(`SELECT count(*) AS count FROM outbox_event WHERE published_at IS NULL`);
        expect(Number(waiting!.count)).toBeGreaterThan(0);
        expect(await healthStatus(service.url)).toBe(503);
        // Only readiness goes red: a liveness probe that failed now would restart a process that recovers by itself.
        expect(await livenessStatus(service.url), 'GET /health/live during the Kafka outage').toBe(200);
      } finally {
        outageLog = service.log.slice(logBeforeOutage);
        await broker.start();
      }
      const outageSeconds = (Date.now() - outageStartedAt) / 1000;
      const noisy = loopNoise(outageLog);
      console.log(`Kafka outage: ${outageSeconds.toFixed(1)} s, ${noisy.length} warn/error lines (health probes aside)`);
      expect(noisy.length, noisy.slice(0, 30).join('\n')).toBeLessThan(30 + outageSeconds * 5);

      const laterProducer = new KafkaTestClient(brokers);
      await publishRequests(laterProducer, scenario.topic, after);
      await laterProducer.close();

      // A downstream consumer reading the outcome topics after the outage.
      const watcher = await watchOutcomes();
      const sent = [...before, ...after];
      const report = await waitUntilSettled(sent, { db, kafka: watcher, simulator }, SETTLE_TIMEOUT_MS);
      await waitForHealth(service.url, 200, 90_000);
      recordScenario(
        'Kafka broker stopped mid-stream',
        `broker stop + start, ${Math.round(outageSeconds)} s; ${noisy.length} warn lines`,
        report,
        startedAt,
      );
      expectClean(report, sent);
      // Recovered without a restart, and still stops cleanly.
      expect(await service.stop()).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'PostgreSQL stopped and restarted mid-stream: /health 503, nothing committed unrecorded, bounded log noise, every request completes once',
    async () => {
      const startedAt = Date.now();
      const total = suiteSize(45, 450);
      const [first, during, afterwards] = [newRequests(total / 3), newRequests(total / 3), newRequests(total / 3)];
      const postgres = await PrivatePostgres.start();
      cleanups.push(() => postgres.destroy());
      const databaseUrl = await postgres.createMigratedDatabase('resend_relay_outage');
      const privateDb = new TestDatabase(databaseUrl);
      cleanups.push(() => privateDb.close());
      const scenario = await scenarioTopic(brokers, 'pg-outage');
      const service = await startService(`outage-pg-${randomBytes(2).toString('hex')}`, simulator.url, {
        ...scenario.env,
        DATABASE_URL: databaseUrl,
        // Held provider calls (below) must not time out before the test releases them.
        ITNIOTECH_TIMEOUT_MS: '60000',
      });
      const watcher = await watchOutcomes();
      const parts = { db: privateDb, kafka: watcher, simulator };
      const producer = new KafkaTestClient(brokers);
      cleanups.push(() => producer.close());

      // Two provider calls are in flight when the database goes away: the provider creates their
      // tasks, but the answers arrive while the result cannot be recorded.
      const inFlight = first.slice(0, 2);
      await simulator.addFaults(...inFlight.map((request) => ({ match: { keyId: request.keyId }, times: 1, hold: true })));
      await publishRequests(producer, scenario.topic, first);
      await waitFor('the first requests to be recorded', async () => (await recordedCount(privateDb, first)) === first.length, 60_000);
      await waitFor('two provider calls to be held', async () => (await simulator.held()).count === inFlight.length, 60_000);
      // Only those two: a request still being processed when the database goes away fails with an
      // error line of its own, and the noise bound below is about retry loops, not about how many
      // requests happened to be under way.
      const notHeld = first.filter((request) => !inFlight.includes(request));
      await waitFor('the other first requests to end', async () => (await terminalCount(privateDb, notHeld)) === notHeld.length, 60_000);
      // Where each partition's recorded messages end: no offset may be committed beyond these while the database is down.
      const recordedEnds = await privateDb.rows<{ kafka_partition: number; next_offset: string }>(
        `SELECT kafka_partition, max(kafka_offset) + 1 AS next_offset FROM resend_request WHERE kafka_topic = $1 GROUP BY kafka_partition`,
        [scenario.topic],
      );

      const logBeforeOutage = service.log.length;
      const outageStartedAt = Date.now();
      let outageLog = '';
      let committed = new Map<number, number>();
      try {
        await postgres.stopServer();
        await waitForHealth(service.url, 503, 60_000).catch((error: unknown) => {
          console.error(`${service.name} since the outage began:\n${service.log.slice(logBeforeOutage).slice(-6000)}`);
          throw error;
        });
        expect(await simulator.release()).toBe(inFlight.length);
        await publishRequests(producer, scenario.topic, during);
        // Bounded outage: until the released calls' results failed to be recorded, intake has
        // tried (and failed) to record a message published during it, and the outbox relay has
        // backed off several times in a row.
        await waitFor(
          'both released calls to fail to be recorded',
          () => count(service.log.slice(logBeforeOutage), /processing request [^"]* failed/g) >= inFlight.length,
          60_000,
        );
        await service.waitForOutput(/cannot record [^\n]* yet/, 60_000);
        const relayFailures = suiteSize(5, 7);
        await waitFor(
          `the outbox relay to back off ${relayFailures} times`,
          () => service.log.slice(logBeforeOutage).includes(`outbox publish failed (${relayFailures} in a row)`),
          120_000,
        );
        expect(await healthStatus(service.url)).toBe(503);
        expect(await livenessStatus(service.url), 'GET /health/live during the PostgreSQL outage').toBe(200);
        committed = await committedOffsets(brokers, scenario.groupId, scenario.topic);
      } finally {
        outageLog = service.log.slice(logBeforeOutage);
        await postgres.startServer();
      }
      const outageSeconds = (Date.now() - outageStartedAt) / 1000;

      // Kafka kept the messages: nothing published during the outage had its offset committed.
      for (const [partition, offset] of committed) {
        const recordedEnd = Number(recordedEnds.find((end) => end.kafka_partition === partition)?.next_offset ?? 0);
        expect(offset, `committed offset of partition ${partition}`).toBeLessThanOrEqual(recordedEnd);
      }
      // Bounded noise: a line per backoff step, not per retry loop iteration.
      const noisy = loopNoise(outageLog);
      console.log(`PostgreSQL outage: ${outageSeconds.toFixed(1)} s, ${noisy.length} warn/error lines (health probes aside)`);
      expect(noisy.length, noisy.slice(0, 20).join('\n')).toBeLessThan(20 + outageSeconds * 4);

      await waitForHealth(service.url, 200, 90_000);
      await publishRequests(producer, scenario.topic, afterwards);
      const sent = [...first, ...during, ...afterwards];
      const report = await waitUntilSettled(sent, parts, SETTLE_TIMEOUT_MS);
      // The calls answered during the outage: their tasks were found by lookup, not created again.
      const resumed = await privateDb.rows(`SELECT resolved_by_lookup FROM resend_request WHERE request_id = ANY($1)`, [
        inFlight.map((request) => request.requestId),
      ]);
      expect(resumed).toEqual(inFlight.map(() => ({ resolved_by_lookup: true })));
      recordScenario(
        'PostgreSQL stopped mid-stream',
        `pg_ctl stop -m fast, ${Math.round(outageSeconds)} s, ${during.length} published during it; ${noisy.length} warn lines`,
        report,
        startedAt,
      );
      expectClean(report, sent);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'provider down (connections refused), then answering 503 and dropping connections for a while: every request completes once',
    async () => {
      const startedAt = Date.now();
      const total = suiteSize(40, 400);
      const [refusedPhase, faultPhase] = [newRequests(total / 2), newRequests(total / 2)];
      const proxy = await TcpProxy.start(simulator.url);
      cleanups.push(() => proxy.close());
      const scenario = await scenarioTopic(brokers, 'provider-down');
      await startService(`outage-provider-${randomBytes(2).toString('hex')}`, proxy.url, {
        ...scenario.env,
        SUBMISSION_MAX_ATTEMPTS: '200',
      });
      const watcher = await watchOutcomes();
      const producer = new KafkaTestClient(brokers);
      cleanups.push(() => producer.close());

      // Down: the port refuses connections. It stays down until every request has been refused at least once.
      await proxy.close();
      await publishRequests(producer, scenario.topic, refusedPhase);
      await waitFor(
        'every request to be refused at least once',
        async () => (await requestsWithAttemptError(refusedPhase, 'CONNECTION_REFUSED')) === refusedPhase.length,
        90_000,
      );
      await proxy.open();

      // Back, but failing: the next calls (resends and lookups alike) get HTTP 503 or a dropped connection.
      const failingCalls = faultPhase.length;
      await simulator.addFaults({ httpStatus: 503, times: failingCalls }, { drop: 'before_processing', times: failingCalls });
      await publishRequests(producer, scenario.topic, faultPhase);
      await waitFor('the provider faults to be used up', async () => (await activeFaultRules(simulator.url)).length === 0, 90_000);

      const sent = [...refusedPhase, ...faultPhase];
      const report = await waitUntilSettled(sent, { db, kafka: watcher, simulator }, SETTLE_TIMEOUT_MS);
      recordScenario(
        'provider down, then 503 / dropped',
        `refused until all tried; then ${failingCalls}× HTTP 503 + ${failingCalls}× drop`,
        report,
        startedAt,
      );
      expectClean(report, sent);
      // The 503s go to whichever calls come first after the port opens: often the refused requests' retries.
      expect(await requestsWithAttemptError(sent, 'HTTP_503')).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '30% of the provider calls fail (5xx, timeouts, drops, tasks created late, -16, -18): zero lost, zero duplicate tasks, second calls only after unknown outcomes',
    async () => {
      const startedAt = Date.now();
      const total = suiteSize(300, 3000);
      const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
      const random = seededRandom(seed);
      const timeoutMs = 1_000;
      const sent = newRequests(total);
      const faultKinds: { label: string; rule: Omit<FaultRuleInput, 'match' | 'times'> }[] = [
        { label: 'HTTP 500', rule: { httpStatus: 500 } },
        { label: 'HTTP 502', rule: { httpStatus: 502 } },
        { label: 'HTTP 503', rule: { httpStatus: 503 } },
        { label: 'timeout, task created', rule: { latencyMs: timeoutMs + 500 } },
        { label: 'timeout, task created after the client gave up', rule: { latencyMs: timeoutMs + 500, delayPhase: 'before_processing' } },
        // Both late creations come within 1.5 timeouts of the call; the settle delay (8 timeouts,
        // below) outlasts them with room for the lag of a loaded 2-core machine, where the simulator
        // shares the test process and the service's call may leave after its attempt row was written.
        { label: 'connection dropped, task created later', rule: { drop: 'before_processing', processAfterDropMs: timeoutMs } },
        { label: 'drop after processing', rule: { drop: 'after_processing' } },
        { label: 'drop before processing', rule: { drop: 'before_processing' } },
        { label: '-16', rule: { answer: { status: '-16' } } },
        { label: '-18', rule: { answer: { status: '-18' } } },
      ];
      const rules: FaultRuleInput[] = [];
      // Planned faulty answers per kind (at most: a second one may never be needed).
      const byKind = new Map<string, number>();
      for (const request of sent) {
        if (random() >= 0.3) continue;
        const kind = faultKinds[Math.floor(random() * faultKinds.length)]!;
        const times = 1 + Math.floor(random() * 2);
        rules.push({ match: { keyId: request.keyId, path: RESEND_PATH }, times, ...kind.rule });
        byKind.set(kind.label, (byKind.get(kind.label) ?? 0) + times);
      }
      for (let start = 0; start < rules.length; start += 500) await simulator.addFaults(...rules.slice(start, start + 500));

      const scenario = await scenarioTopic(brokers, 'provider-faults');
      await startService(`faults-30pct-${randomBytes(2).toString('hex')}`, simulator.url, {
        ...scenario.env,
        ITNIOTECH_TIMEOUT_MS: String(timeoutMs),
        ITNIOTECH_LOOKUP_SETTLE_MS: String(timeoutMs * 8),
        SUBMISSION_MAX_ATTEMPTS: '20',
        SUBMISSION_BACKOFF_BASE_MS: '50',
        SUBMISSION_BACKOFF_MAX_MS: '500',
      });
      const watcher = await watchOutcomes();
      const producer = new KafkaTestClient(brokers);
      cleanups.push(() => producer.close());
      await publishRequests(producer, scenario.topic, sent);

      const report = await waitUntilSettled(sent, { db, kafka: watcher, simulator }, SETTLE_TIMEOUT_MS);
      // What the service saw: resend calls that did not come back accepted, of all resend calls.
      const [calls] = await db.rows<{ total: string; failed: string; lookups: string }>(
        `SELECT count(*) FILTER (WHERE a.kind = 'submit') AS total,
                count(*) FILTER (WHERE a.kind = 'submit' AND a.outcome <> 'accepted') AS failed,
                count(*) FILTER (WHERE a.kind = 'lookup') AS lookups
           FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id WHERE r.request_id = ANY($1)`,
        [sent.map((request) => request.requestId)],
      );
      const failedShare = Math.round((100 * Number(calls!.failed)) / Number(calls!.total));
      console.log(
        `30% faults (seed ${seed}): rules on ${rules.length} requests; ${calls!.failed} of ${calls!.total} resend calls failed (${failedShare}%), ${calls!.lookups} lookups`,
        Object.fromEntries(byKind),
      );
      recordScenario(
        '30% of provider calls failing',
        `${calls!.failed}/${calls!.total} resend calls failed (${failedShare}%: 5xx, timeouts, drops, late tasks, -16, -18), ${calls!.lookups} lookups; seed ${seed}`,
        report,
        startedAt,
      );
      expectClean(report, sent);
      // Second calls did happen (after 5xx answers and drops that created nothing, once a lookup
      // had found nothing), each after an unknown outcome: the count above can see them.
      expect(report.secondResendCalls.length).toBeGreaterThan(0);
      // Every rule was applied at least once (rules used up are gone; some second uses are never
      // needed: a task created by a dropped or late call is found by the lookup, not sent again).
      const leftovers = await activeFaultRules(simulator.url);
      expect(leftovers.filter((rule) => rule.matched === 0)).toEqual([]);
      const keyIds = new Set(sent.map((request) => request.keyId));
      const tasks = (await simulator.ledger()).tasks.filter((task) => keyIds.has(task.keyId));
      expect(tasks).toHaveLength(sent.length);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGTERM while Kafka is down with an outcome event still to publish: the final flush gives up, the process exits 0 in time; the event is published after the outage',
    async () => {
      const graceMs = 5_000;
      const scenario = await scenarioTopic(brokers, 'kafka-down-stop');
      const service = await startService(`stop-kafka-down-${randomBytes(2).toString('hex')}`, simulator.url, {
        ...scenario.env,
        SHUTDOWN_GRACE_MS: String(graceMs),
      });
      const request = sampleRequest();
      await simulator.addFault({ match: { keyId: request.keyId }, times: 1, hold: true });
      const producer = new KafkaTestClient(brokers);
      await publishRequests(producer, scenario.topic, [request]);
      await producer.close();
      await waitFor('the provider call to be held', async () => (await simulator.held()).count === 1, 60_000);

      let exitMs = 0;
      let code: number | null = null;
      try {
        await broker.stop();
        // The answer comes back while Kafka is down: the outcome is recorded, its event cannot be published.
        await simulator.release();
        await waitFor(
          'the outcome to be recorded',
          async () =>
            (await db.one(`SELECT status FROM resend_request WHERE request_id = $1`, [request.requestId]))?.status === 'completed',
          60_000,
        );
        const stopAt = Date.now();
        service.signal('SIGTERM');
        code = await service.waitForExit();
        exitMs = Date.now() - stopAt;
      } finally {
        await broker.start();
      }
      // The bound of docs/guarantees.md (Shutdown): the final offset commit at most 5 s, leaving the
      // group at most 2 s, calls in flight the grace period (none is left), the relay's flush at most 5 s.
      expect(exitMs, 'time to exit after SIGTERM (ms)').toBeLessThan(5_000 + 2_000 + graceMs + 5_000);
      expect(code).toBe(0);
      const unpublished = await db.rows(`SELECT id FROM outbox_event WHERE published_at IS NULL AND headers->>'ce_subject' = $1`, [
        String(request.keyId),
      ]);
      expect(unpublished).toHaveLength(1);

      // Kept in the outbox: the next instance publishes it.
      const watcher = await watchOutcomes();
      await startService(`after-kafka-down-${randomBytes(2).toString('hex')}`, simulator.url, scenario.env);
      const [event] = await watcher.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === request.requestId, 1, 90_000);
      expect(event!.headers.ce_id).toBe(unpublished[0]!.id);
    },
    TEST_TIMEOUT_MS,
  );

  async function requestsWithAttemptError(requests: Request[], errorCode: string): Promise<number> {
    const [row] = await db.rows<{ count: string }>(
      `SELECT count(DISTINCT r.id) AS count FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
        WHERE r.request_id = ANY($1) AND a.error_code = $2`,
      [requests.map((request) => request.requestId), errorCode],
    );
    return Number(row!.count);
  }
});

/**
 * warn/error lines that a retry loop could multiply. A failed readiness probe logs one line per
 * probe (the test probes several times a second): those measure the prober, not the service.
 */
function loopNoise(log: string): string[] {
  return noisyLines(log).filter((line) => !line.includes('Health Check has failed'));
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** The fault rules that still have uses left, with how often each was applied. */
async function activeFaultRules(simulatorUrl: string): Promise<{ id: number; matched: number }[]> {
  const response = await fetch(`${simulatorUrl}/__simulator/faults`);
  return ((await response.json()) as { rules: { id: number; matched: number }[] }).rules;
}
