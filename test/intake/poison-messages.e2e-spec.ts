import { randomBytes, randomInt } from 'node:crypto';
import { DEAD_LETTER_HEADERS, MAX_REQUEST_BYTES, validateFailedEvent, type DeadLetterReason } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/database.js';
import { checkInvariants, recordScenario, suiteSize, waitUntilSettled } from '../support/invariants.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { PoisonFuzzer, type FuzzMessage, type GoodMessage } from '../support/poison-fuzzer.js';
import { PositionedProducer, type Position, type RawMessage } from '../support/positioned-producer.js';
import { RawTopicWatcher } from '../support/raw-topic-watcher.js';
import { sampleRequest } from '../support/requests.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const REQUESTED = TOPICS.requested;

/** How the fuzzer's kinds of hostile message must end (kinds not listed may also end as a failed request only). */
const EXPECTED_DEAD_LETTER: Partial<Record<string, string[]>> = {
  random_bytes: ['not_json', 'not_an_object'],
  invalid_utf8: ['not_json'],
  not_an_object: ['not_an_object'],
  too_large: ['too_large'],
  tombstone: ['not_json'],
  nul_in_string: ['unrecordable'],
  lone_surrogate: ['unrecordable'],
  injection: ['no_usable_key_id'],
  no_usable_key_id: ['no_usable_key_id'],
  hostile_headers: ['not_json', 'no_usable_key_id'],
};
const DLQ = TOPICS.deadLetter;

/**
 * Poison messages (not JSON, too large, no usable keyId, NUL characters, tombstones …) end in
 * the dead-letter topic and table with their original bytes, and never stop a partition; then a
 * seeded fuzzer throws hundreds of hostile messages at a real service process.
 */
describe('poison messages: dead-lettered verbatim, the consumer keeps going', () => {
  let simulator: RunningSimulator;
  let service: ServiceProcess;
  let kafka: KafkaTestClient;
  let raw: RawTopicWatcher;
  let producer: PositionedProducer;
  let db: TestDatabase;

  beforeAll(async () => {
    simulator = await RunningSimulator.start();
    service = await ServiceProcess.start('poison', simulator.url);
    kafka = new KafkaTestClient(e2e.kafkaBrokers);
    await kafka.watch([TOPICS.completed, TOPICS.failed]);
    raw = new RawTopicWatcher(e2e.kafkaBrokers);
    await raw.watch([DLQ]);
    producer = new PositionedProducer(e2e.kafkaBrokers);
    db = new TestDatabase();
  });

  afterAll(async () => {
    await producer?.close();
    await raw?.close();
    await kafka?.close();
    if (service) {
      // A graceful stop; a process stuck on a message is killed rather than holding the suite.
      const stopped = await Promise.race([
        service.stop().then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 60_000)),
      ]);
      if (!stopped) await service.kill();
    }
    await simulator?.close();
    await db?.close();
  });

  const parts = () => ({ db, kafka, simulator });

  async function expectHealthy() {
    expect(() => process.kill(service.pid, 0), `${service.name} is still running`).not.toThrow();
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
  }

  function asBuffer(value: Buffer | string | null | undefined): Buffer {
    if (value === null || value === undefined) return Buffer.alloc(0);
    return Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  }

  /** The DLQ copy and the dead_letter row of a message: the original key, value and headers, plus why and where from. */
  async function expectDeadLettered(message: RawMessage, position: Position, reason: DeadLetterReason | RegExp) {
    const copy = await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...position });
    const label = `${reason} at ${position.partition}@${position.offset}`;
    if (reason instanceof RegExp) expect(raw.header(copy, 'dlq_reason'), label).toMatch(reason);
    else expect(raw.header(copy, 'dlq_reason'), label).toBe(reason);
    expect(raw.header(copy, 'dlq_error'), label).toBeTruthy();
    expect(new Date(raw.header(copy, 'dlq_failed_at')!).toISOString()).toBe(raw.header(copy, 'dlq_failed_at'));
    expect(asBuffer(copy.value).equals(asBuffer(message.value)), `${label}: value`).toBe(true);
    expect(copy.key === null ? null : copy.key.toString('hex'), `${label}: key`).toBe(
      message.key === null ? null : asBuffer(message.key).toString('hex'),
    );
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      expect(copy.headers[name]?.toString('hex'), `${label}: header ${name}`).toBe(asBuffer(value as Buffer | string).toString('hex'));
    }

    const row = await db.one(`SELECT * FROM dead_letter WHERE kafka_topic = $1 AND kafka_partition = $2 AND kafka_offset = $3`, [
      REQUESTED,
      position.partition,
      position.offset,
    ]);
    expect(row, `${label}: dead_letter row`).toBeDefined();
    expect(row!.reason).toBe(raw.header(copy, 'dlq_reason'));
    expect(asBuffer(row!.message_value).equals(asBuffer(message.value))).toBe(true);
    if (message.value === null) expect(row!.message_value).toBeNull();
    return { copy, row: row! };
  }

  it('not JSON, too large, no usable keyId, a NUL in a string, a tombstone, not an object: each dead-lettered; the next good message on the partition completes', async () => {
    const startedAt = Date.now();
    const key = `poison-${randomBytes(4).toString('hex')}`;
    const headers = {
      'x-origin': 'poison-test',
      traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
    };
    const noKeyId = { ...sampleRequest(), keyId: -5 };
    const withNul = sampleRequest();
    // A valid request but for a field nested deeper than PostgreSQL's jsonb parser goes (its stack
    // depth limit): JSON.parse reads it, the parser drops the unknown field, the database refuses it.
    const deep = sampleRequest();
    const depth = 30_000;
    const deeplyNested = JSON.stringify({ ...deep, nested: 0 }).replace('"nested":0', `"nested":${'['.repeat(depth)}1${']'.repeat(depth)}`);
    const good = sampleRequest();
    const tooLarge = JSON.stringify({ ...sampleRequest(), taskName: 'x'.repeat(MAX_REQUEST_BYTES) });
    const cases: { message: RawMessage; reason: DeadLetterReason }[] = [
      { reason: 'not_json', message: { key, headers, partition: 1, value: 'this is { not JSON' } },
      { reason: 'too_large', message: { key, headers, partition: 1, value: tooLarge } },
      { reason: 'no_usable_key_id', message: { key, headers, partition: 1, value: JSON.stringify(noKeyId) } },
      // The JSON escape \u0000 parses to a NUL character, which jsonb and text columns refuse.
      {
        reason: 'unrecordable',
        message: { key, headers, partition: 1, value: JSON.stringify(withNul).replace(withNul.taskName, 'nul \\u0000 inside') },
      },
      { reason: 'not_json', message: { key, headers, partition: 1, value: null } },
      { reason: 'not_an_object', message: { key, headers, partition: 1, value: '[1, 2, 3]' } },
      { reason: 'unrecordable', message: { key, headers, partition: 1, value: deeplyNested } },
    ];
    const positions = await producer.send(REQUESTED, [
      ...cases.map((item) => item.message),
      { key, partition: 1, value: JSON.stringify(good) },
    ]);

    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    for (const [index, { message, reason }] of cases.entries()) await expectDeadLettered(message, positions[index]!, reason);

    const tooLargeCopy = await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[1]! });
    expect(raw.header(tooLargeCopy, 'dlq_error')).toBe(
      `the message value is ${Buffer.byteLength(tooLarge)} bytes; the limit is ${MAX_REQUEST_BYTES}`,
    );
    // No usable keyId: a failed event (keyId null, no Kafka key) as well as the dead letter.
    const [failed] = await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === noKeyId.requestId);
    expect(failed!.json).toMatchObject({ keyId: null, error: { category: 'validation' } });
    expect(validateFailedEvent(failed!.json)).toEqual([]);
    expect(failed!.key).toBeNull();
    // The message with a NUL left no request row behind, only its dead letter.
    expect(await db.rows(`SELECT 1 FROM resend_request WHERE request_id = $1`, [withNul.requestId])).toEqual([]);
    expect(await simulator.tasksFor(withNul.keyId)).toEqual([]);
    // Nor did the one nested too deep: never sent, though its provider fields were valid.
    expect(Buffer.byteLength(deeplyNested)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(await db.rows(`SELECT 1 FROM resend_request WHERE request_id = $1`, [deep.requestId])).toEqual([]);
    expect(await simulator.tasksFor(deep.keyId)).toEqual([]);

    await expectHealthy();
    const report = await checkInvariants([good], parts());
    recordScenario('poison messages on one partition', '6 poison kinds', report, startedAt);
    expect(report).toMatchObject({
      lost: [],
      duplicateTasks: 0,
      duplicateEventIds: [],
      secondResendCalls: [],
      resendCallsAnsweredTaskExists: 0,
    });
  }, 120_000);

  it('keeps binary keys and JSON-looking header values byte for byte in the dead-letter copy', async () => {
    const key = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x7b, 0xff]); // not UTF-8
    // Header values are kept as UTF-8 text (docs/guarantees.md): text that looks like JSON or a number stays as it was.
    const headers = {
      'x-json': '{"spaced": [1, 2,   3], "b": true}',
      'x-array': '[ "a" ,1 ]',
      'x-number-like': '1.50',
    };
    const message: RawMessage = { key, headers, partition: 2, value: 'still { not JSON' };
    const good = sampleRequest();
    const positions = await producer.send(REQUESTED, [message, { key: String(good.keyId), partition: 2, value: JSON.stringify(good) }]);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    await expectDeadLettered(message, positions[0]!, 'not_json');
  }, 120_000);

  it('a dead-letter copy carries no CloudEvents headers of its own: the original headers and the dlq_* ones only', async () => {
    const noKeyId = { ...sampleRequest(), keyId: 'not a number' };
    const good = sampleRequest();
    const messages: RawMessage[] = [
      { key: 'no-ce', partition: 0, value: 'not { JSON' },
      // Also a failed event (CloudEvents headers) for this one: none of them on its copy.
      { key: 'no-ce', partition: 0, value: JSON.stringify(noKeyId) },
      // The producer's own ce_id stays as it was.
      { key: 'no-ce', partition: 0, headers: { ce_id: 'the-producers-id' }, value: 'not { JSON' },
      { key: String(good.keyId), partition: 0, value: JSON.stringify(good) },
    ];
    const positions = await producer.send(REQUESTED, messages);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === noKeyId.requestId);
    const dlqHeaders = Object.values(DEAD_LETTER_HEADERS).sort();
    for (const index of [0, 1]) {
      const copy = await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[index]! });
      expect(Object.keys(copy.headers).sort(), `copy of message ${index}`).toEqual(dlqHeaders);
    }
    const withOwnId = await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[2]! });
    expect(Object.keys(withOwnId.headers).sort()).toEqual(['ce_id', ...dlqHeaders].sort());
    expect(raw.header(withOwnId, 'ce_id')).toBe('the-producers-id');
  }, 120_000);

  it("a dead letter whose headers claim JSON (content-type: application/json) does not break the operators' view outbox_event_readable", async () => {
    const good = sampleRequest();
    const positions = await producer.send(REQUESTED, [
      { key: 'claims-json', partition: 1, headers: { 'content-type': 'application/json' }, value: 'this is { not JSON' },
      { key: Buffer.from([0xff, 0xfe]), partition: 1, headers: { 'content-type': 'application/json' }, value: Buffer.from([0xc3, 0x28]) },
      { key: String(good.keyId), partition: 1, value: JSON.stringify(good) },
    ]);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    for (const index of [0, 1]) await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[index]! });
    const readable = await db.rows(`SELECT topic, message_key, payload FROM outbox_event_readable`);
    expect(readable.length).toBeGreaterThan(0);
    const event = readable.find((row) => row.payload?.requestId === good.requestId);
    expect(event).toMatchObject({ topic: TOPICS.completed, message_key: String(good.keyId) });
  }, 120_000);

  it('a poison message with a NUL in a header is still dead-lettered and does not stall its partition', async () => {
    const good = sampleRequest();
    const messages: RawMessage[] = [
      { key: 'nul-header', partition: 0, headers: { 'x-nul': 'before\u0000after' }, value: 'not JSON' },
      {
        key: 'nul-header',
        partition: 0,
        headers: { 'x-nul\u0000name': 'value' },
        value: JSON.stringify({ ...sampleRequest(), keyId: 'x' }),
      },
      { key: String(good.keyId), partition: 0, value: JSON.stringify(good) },
    ];
    const positions = await producer.send(REQUESTED, messages);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    for (const index of [0, 1]) {
      const row = await db.one(`SELECT reason FROM dead_letter WHERE kafka_partition = $1 AND kafka_offset = $2`, [
        positions[index]!.partition,
        positions[index]!.offset,
      ]);
      expect(row, `dead letter of message ${index}`).toBeDefined();
      await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[index]! });
    }
    await expectHealthy();
  }, 120_000);

  it('large dead-letter copies (together over the broker limit) do not stop the outbox', async () => {
    const key = `large-${randomBytes(4).toString('hex')}`;
    const big = (fill: string) => JSON.stringify({ keyId: 1, taskName: fill.repeat(600 * 1024) });
    const good = sampleRequest();
    const positions = await producer.send(REQUESTED, [
      { key, partition: 2, value: big('a') },
      { key, partition: 2, value: big('b') },
      { key: String(good.keyId), partition: 2, value: JSON.stringify(good) },
    ]);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    for (const index of [0, 1]) await raw.waitForCopyOf(DLQ, { topic: REQUESTED, ...positions[index]! });
    await expectHealthy();
  }, 120_000);

  it('a message at the broker size limit: its dead-letter copy (larger, with the dlq_* headers) is refused by Kafka and set aside; the outbox goes on', async () => {
    // Just under the broker's message.max.bytes (1 048 588 bytes per record batch, overhead included).
    const key = `at-limit-${randomBytes(4).toString('hex')}`;
    const value = Buffer.alloc(1_048_588 - 200, 0x61);
    const good = sampleRequest();
    const positions = await producer.send(REQUESTED, [
      { key, partition: 0, value },
      { key: String(good.keyId), partition: 0, value: JSON.stringify(good) },
    ]);
    await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId, 1, 60_000);
    const row = await db.one(
      `SELECT reason, octet_length(message_value) AS bytes FROM dead_letter WHERE kafka_partition = $1 AND kafka_offset = $2`,
      [positions[0]!.partition, positions[0]!.offset],
    );
    expect(row).toEqual({ reason: 'too_large', bytes: value.length });
    // The copy can never be published: it stays in the outbox, marked, with Kafka's answer. (The good
    // request's outcome may come first: its writer publishes it, while the relay handles the copy.)
    const copy = await waitFor('the dead-letter copy to be refused', async () => {
      const found = await db.one(
        `SELECT published_at, refused_at, last_error FROM outbox_event
          WHERE topic = $1 AND headers->>'dlq_source_partition' = $2 AND headers->>'dlq_source_offset' = $3`,
        [DLQ, String(positions[0]!.partition), String(positions[0]!.offset)],
      );
      return found?.refused_at || found?.published_at ? found : undefined;
    });
    expect(copy).toMatchObject({ published_at: null, refused_at: expect.any(Date) });
    expect(copy.last_error).toMatch(/refused by Kafka, not published: .*larger than the max message size/);
    expect(service.log).toMatch(/outbox row .* refused by Kafka/);
    await expectHealthy();
  }, 120_000);

  it(
    'fuzzer: hostile messages interleaved with good ones — no crash, every message accounted for, every good one completed',
    async () => {
      const startedAt = Date.now();
      const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(1, 2 ** 31);
      const badCount = suiteSize(500, 10_000);
      const goodCount = suiteSize(50, 500);
      const runId = randomBytes(4).toString('hex');
      console.log(`poison fuzzer: seed ${seed} (rerun with FUZZ_SEED=${seed}), ${badCount} bad + ${goodCount} good messages, run ${runId}`);
      const fuzzer = new PoisonFuzzer(seed, runId, 1_000_000_000_000 + randomInt(0, 1_000_000) * 1_000_000);

      const messages: FuzzMessage[] = [];
      for (let bad = 0, good = 0; bad < badCount || good < goodCount;) {
        const takeGood = good < goodCount && (bad >= badCount || fuzzer.random() < goodCount / (goodCount + badCount));
        if (takeGood) {
          messages.push(fuzzer.good());
          good += 1;
        } else {
          messages.push(fuzzer.bad());
          bad += 1;
        }
      }
      const positions = await producer.send(REQUESTED, messages);
      const goods = messages.filter((message): message is GoodMessage => message.kind === 'good');
      const sent = goods.map(({ requestId, keyId }) => ({ requestId, keyId }));
      console.log(`poison fuzzer: ${messages.length} messages produced in ${Date.now() - startedAt} ms`);

      const report = await waitUntilSettled(sent, parts(), suiteSize(180_000, 1_800_000));
      const badPositions = messages.flatMap((message, index) => (message.kind === 'good' ? [] : [positions[index]!]));
      // Every message ends as a request row or a dead letter, found by its Kafka position.
      const accounted = await waitFor(
        'every fuzzed message to be recorded',
        async () => {
          const found = await recordedAt(positions);
          return found.missing.length === 0 ? found : undefined;
        },
        suiteSize(120_000, 1_200_000),
        1_000,
      ).catch(async () => recordedAt(positions));
      expect(accounted.missing.map((index) => ({ kind: messages[index]!.kind, ...positions[index]! }))).toEqual([]);

      // A bad message never becomes a provider call: failed (attempts 0) or dead-lettered.
      const badRows = await db.rows<{ status: string; attempts: number; payload: unknown; kafka_partition: number; kafka_offset: string }>(
        `SELECT r.status, r.attempts, r.payload, r.kafka_partition, r.kafka_offset
         FROM resend_request r JOIN unnest($1::int[], $2::bigint[]) AS p(partition, kafka_offset)
           ON r.kafka_topic = $3 AND r.kafka_partition = p.partition AND r.kafka_offset = p.kafka_offset`,
        [badPositions.map((p) => p.partition), badPositions.map((p) => p.offset), REQUESTED],
      );
      expect(badRows.filter((row) => row.status !== 'failed' || row.attempts !== 0)).toEqual([]);
      // Injection strings are stored verbatim (as data, never as SQL or markup).
      const byPosition = new Map(badRows.map((row) => [`${row.kafka_partition}:${row.kafka_offset}`, row]));
      for (const [index, message] of messages.entries()) {
        if (message.kind !== 'injection') continue;
        const row = byPosition.get(`${positions[index]!.partition}:${positions[index]!.offset}`);
        expect(row?.payload, `injection message ${index}`).toEqual(JSON.parse(String(message.value)));
      }
      const deadLetters = await db.rows<{ message_value: Buffer | null; reason: string; kafka_partition: number; kafka_offset: string }>(
        `SELECT d.message_value, d.reason, d.kafka_partition, d.kafka_offset
         FROM dead_letter d JOIN unnest($1::int[], $2::bigint[]) AS p(partition, kafka_offset)
           ON d.kafka_topic = $3 AND d.kafka_partition = p.partition AND d.kafka_offset = p.kafka_offset`,
        [badPositions.map((p) => p.partition), badPositions.map((p) => p.offset), REQUESTED],
      );
      const deadLetterAt = new Map(deadLetters.map((row) => [`${row.kafka_partition}:${row.kafka_offset}`, row]));
      const reasonsByKind: Record<string, Record<string, number>> = {};
      for (const [index, message] of messages.entries()) {
        if (message.kind === 'good') continue;
        const row = deadLetterAt.get(`${positions[index]!.partition}:${positions[index]!.offset}`);
        if (row)
          expect(asBuffer(row.message_value).equals(asBuffer(message.value)), `dead letter of message ${index} (${message.kind})`).toBe(
            true,
          );
        const reasons = (reasonsByKind[message.kind] ??= {});
        const reason = row?.reason ?? 'failed request only';
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        const expected = EXPECTED_DEAD_LETTER[message.kind];
        if (expected) expect(expected, `message ${index} (${message.kind}, seed ${seed}) ended as ${reason}`).toContain(reason);
      }
      console.log(`poison fuzzer: how each kind ended: ${JSON.stringify(reasonsByKind)}`);

      // Every good message completed, exactly once, with the taskName as sent (trimmed).
      // No provider faults: a second resend call only after an unknown outcome (a timeout under load).
      expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [], secondResendCallsWithoutUnknownOutcome: [] });
      expect(report.byStatus).toEqual({ completed: goodCount });
      const tasks = new Map((await simulator.ledger()).tasks.map((task) => [task.keyId, task]));
      for (const message of goods) expect(tasks.get(message.keyId)?.taskName, `task of ${message.requestId}`).toBe(message.taskName);

      // Zero crashes: the same process is up, healthy, and never got stuck on a message; the audit record stays readable.
      await expectHealthy();
      expect(Number((await db.one(`SELECT count(*) AS n FROM outbox_event_readable`))!.n)).toBeGreaterThan(0);
      expect(service.log).not.toMatch(/cannot record .* yet/);
      const kinds: Record<string, number> = {};
      for (const message of messages) kinds[message.kind] = (kinds[message.kind] ?? 0) + 1;
      const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
      console.log(
        `poison fuzzer: seed ${seed}: ${messages.length} messages (${JSON.stringify(kinds)}), ` +
          `${deadLetters.length} dead letters, ${badRows.length} failed requests, ${goodCount} completed, ${seconds} s`,
      );
      recordScenario(
        'fuzzer',
        `seed ${seed}: ${badCount} hostile + ${goodCount} good messages`,
        { ...report, requests: messages.length },
        startedAt,
      );
    },
    suiteSize(600_000, 7_200_000),
  );

  /** Which of the positions have neither a request row nor a dead letter (indexes into `positions`). */
  async function recordedAt(positions: Position[]) {
    const rows = await db.rows<{ position: string }>(
      `SELECT p.partition || ':' || p.kafka_offset AS position
         FROM unnest($1::int[], $2::bigint[]) AS p(partition, kafka_offset)
        WHERE EXISTS (SELECT 1 FROM resend_request r WHERE r.kafka_topic = $3 AND r.kafka_partition = p.partition AND r.kafka_offset = p.kafka_offset)
           OR EXISTS (SELECT 1 FROM dead_letter d WHERE d.kafka_topic = $3 AND d.kafka_partition = p.partition AND d.kafka_offset = p.kafka_offset)`,
      [positions.map((p) => p.partition), positions.map((p) => p.offset), REQUESTED],
    );
    const found = new Set(rows.map((row) => row.position));
    return { missing: positions.flatMap((p, index) => (found.has(`${p.partition}:${p.offset}`) ? [] : [index])) };
  }
});
