import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/database.js';
import { LONG_RUN, recordScenario, suiteSize, waitUntilSettled } from '../support/invariants.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { publishRequests, scenarioTopic, stableMembers, type Request } from '../support/scenario-kit.js';
import { seededRandom } from '../support/seeded-random.js';
import { ServiceProcess } from '../support/service-process.js';
import { SimulatorProcess } from '../support/simulator-process.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const INSTANCES = 3;
const PARTITIONS = 6;

type Expected = 'completed' | 'duplicate' | 'failed';

/**
 * Three service instances in one consumer group share a stream in which 30% of the requests
 * repeat an earlier keyId (half with the same payload, half with a different one): one provider
 * task per distinct keyId, every request terminal, repeats recorded as such; and the throughput.
 */
describe('scale: three instances share the work', () => {
  const brokers = e2e.kafkaBrokers;
  let simulator: SimulatorProcess;
  let db: TestDatabase;
  let watcher: KafkaTestClient;
  let producer: KafkaTestClient;
  const instances: ServiceProcess[] = [];

  beforeAll(async () => {
    // A process of its own: in the test runner's, the runner's busy moments (publishing 10,000
    // requests, watching every outcome) held the simulator's accept queue full, so calls on new
    // connections timed out, and an instance whose sockets were closed by one timeout kept
    // timing out: the work ended up with whichever instance still had its connections.
    simulator = await SimulatorProcess.start();
    db = new TestDatabase();
    watcher = new KafkaTestClient(brokers);
    await watcher.watch([TOPICS.completed, TOPICS.failed]);
    producer = new KafkaTestClient(brokers);
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await producer?.close();
    await watcher?.close();
    await simulator?.close();
    await db?.close();
  });

  it(
    `${suiteSize(600, 10_000)} requests, 30% repeating a keyId: one task per keyId, every request terminal, the work shared`,
    async () => {
      const total = suiteSize(600, 10_000);
      const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
      const { sent, expected } = buildStream(total, seededRandom(seed));
      const distinctKeyIds = new Set(sent.map((request) => request.keyId)).size;

      const scenario = await scenarioTopic(brokers, 'scale', PARTITIONS);
      const run = randomBytes(2).toString('hex');
      instances.push(
        ...(await Promise.all(
          Array.from({ length: INSTANCES }, (_, index) =>
            ServiceProcess.start(`scale-${run}-${index + 1}`, simulator.url, { ...scenario.env, SUBMISSION_LEASE_MS: '30000' }),
          ),
        )),
      );
      // Every instance has joined the group before the stream starts.
      await waitFor(
        `${INSTANCES} members in the consumer group`,
        () => stableMembers(brokers, scenario.groupId).then((n) => n === INSTANCES),
        90_000,
        500,
      );

      const startedAt = Date.now();
      await publishRequests(producer, scenario.topic, sent);
      const publishedAt = Date.now();

      // Cheap progress checks first (one count), so that polling does not slow the service down;
      // then the full invariant check.
      const requestIds = sent.map((request) => request.requestId);
      // Exactly one outcome per request: repeats are answered with their original's result.
      const outcomesExpected = sent.length;
      let recordedAt = 0;
      let decidedAt = 0;
      await waitFor(
        `${total} requests to be decided and their outcomes published`,
        async () => {
          const [row] = await db.rows<{ recorded: string; decided: string }>(
            `SELECT count(*) AS recorded, count(*) FILTER (WHERE status IN ('completed', 'failed') OR (status = 'duplicate' AND finished_at IS NOT NULL)) AS decided
               FROM resend_request WHERE request_id = ANY($1)`,
            [requestIds],
          );
          if (!recordedAt && Number(row!.recorded) === sent.length) recordedAt = Date.now();
          if (!decidedAt && Number(row!.decided) === sent.length) decidedAt = Date.now();
          return decidedAt > 0 && outcomeCount(watcher, expected) >= outcomesExpected;
        },
        LONG_RUN ? 1_800_000 : 180_000,
        500,
      );
      const settledAt = Date.now();
      const report = await waitUntilSettled(sent, { db, kafka: watcher, simulator }, 60_000);

      const seconds = (settledAt - startedAt) / 1000;
      const throughput = sent.length / seconds;
      const tasksPerSecond = distinctKeyIds / seconds;
      const perInstance = instances.map((instance) => ({
        instance: instance.name,
        recorded: count(instance.log, /"msg":"(recorded request|request [^"]* repeats|request [^"]* rejected)/g),
        // A task whose answer was lost (a timeout under load) is found by a lookup instead: one line either way.
        submitted: count(instance.log, /provider created task|earlier call did create task/g),
      }));
      console.log(
        `scale (seed ${seed}): ${sent.length} requests (${distinctKeyIds} distinct keyIds) on ${INSTANCES} instances in ${seconds.toFixed(1)} s ` +
          `(published in ${((publishedAt - startedAt) / 1000).toFixed(1)} s, all recorded after ${((recordedAt - startedAt) / 1000).toFixed(1)} s, ` +
          `all decided after ${((decidedAt - startedAt) / 1000).toFixed(1)} s): ${throughput.toFixed(1)} requests/s end to end, ` +
          `${tasksPerSecond.toFixed(1)} provider tasks/s`,
        perInstance,
      );
      recordScenario(
        `${INSTANCES} instances, 30% repeated keyIds`,
        `no faults; ${throughput.toFixed(1)} req/s end to end; tasks per instance ${perInstance.map((entry) => entry.submitted).join('/')}`,
        report,
        startedAt,
      );

      // No faults: a second resend call (refused -41 or not) only after an unknown outcome (a
      // timeout under load), never otherwise.
      expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [], secondResendCallsWithoutUnknownOutcome: [] });
      // Each request ended as its place in the stream says: first of its keyId completed, a
      // same-payload repeat a duplicate, a different-payload repeat failed as a conflicting duplicate.
      const rows = await db.rows<{ request_id: string; status: string; error_code: string | null; duplicate_of: string | null }>(
        `SELECT request_id, status, error_code, duplicate_of FROM resend_request WHERE request_id = ANY($1)`,
        [requestIds],
      );
      const mismatches = rows.filter((row) => row.status !== expected.get(row.request_id));
      expect(mismatches.slice(0, 10)).toEqual([]);
      expect(rows.filter((row) => row.status === 'failed' && row.error_code !== 'DUPLICATE_KEY_ID')).toEqual([]);
      expect(rows.filter((row) => row.status !== 'completed' && row.duplicate_of === null)).toEqual([]);
      // Exactly one task per distinct keyId.
      const keyIds = new Set(sent.map((request) => request.keyId));
      const tasks = (await simulator.ledger()).tasks.filter((task) => keyIds.has(task.keyId));
      expect(tasks).toHaveLength(distinctKeyIds);
      expect(new Set(tasks.map((task) => task.keyId)).size).toBe(distinctKeyIds);
      // The work was shared: each instance recorded requests and made at least a quarter of an even
      // share of the provider tasks (each consumes a third of the partitions and calls for most of
      // what it records). Once, one instance made 19 of 7,005, its calls timing out.
      const quarterShare = Math.floor(distinctKeyIds / INSTANCES / 4);
      expect(perInstance.filter((entry) => entry.recorded === 0)).toEqual([]);
      expect(perInstance.filter((entry) => entry.submitted < quarterShare)).toEqual([]);
      expect(perInstance.reduce((sum, entry) => sum + entry.submitted, 0)).toBe(distinctKeyIds);
    },
    LONG_RUN ? 3_600_000 : 300_000,
  );
});

/**
 * The stream: 70% first requests for a new keyId, 30% repeats of an earlier keyId (the repeat
 * comes after its original; same key, so the same partition keeps the order). Half of the repeats
 * carry the same payload (→ duplicate, never sent), half a different one (→ failed, DUPLICATE_KEY_ID).
 */
function buildStream(total: number, random: () => number): { sent: Request[]; expected: Map<string, Expected> } {
  const sent: Request[] = [];
  const originals: Request[] = [];
  const expected = new Map<string, Expected>();
  for (let index = 0; index < total; index += 1) {
    const repeat = originals.length > 0 && random() < 0.3;
    if (!repeat) {
      const request = sampleRequest();
      originals.push(request);
      sent.push(request);
      expected.set(request.requestId, 'completed');
      continue;
    }
    const original = originals[Math.floor(random() * originals.length)]!;
    const samePayload = random() < 0.5;
    const request: Request = {
      ...original,
      requestId: `e2e-${randomUUID()}`,
      correlationId: `corr-${randomUUID()}`,
      ...(samePayload ? {} : { maxCalls: original.maxCalls + 1 + Math.floor(random() * 50) }),
    };
    sent.push(request);
    expected.set(request.requestId, samePayload ? 'duplicate' : 'failed');
  }
  return { sent, expected };
}

/** Distinct requests of this stream with an outcome event on the completed or failed topic. */
function outcomeCount(watcher: KafkaTestClient, expected: Map<string, Expected>): number {
  const seen = new Set<string>();
  for (const message of watcher.received) {
    const requestId = message.json?.requestId;
    if (typeof requestId === 'string' && expected.has(requestId)) seen.add(requestId);
  }
  return seen.size;
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}
