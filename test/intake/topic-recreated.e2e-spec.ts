import { createKafkaClient } from '#common';
import { randomBytes, randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeadLetter } from '../../apps/resend-service/src/intake/intake.sql.js';
import { statementTestDatabase, type StatementTestDatabase } from '../support/database.js';
import { checkInvariants, recordScenario, waitUntilSettled } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { committedOffsets, endOffsets, healthStatus, publishRequests, scenarioTopic, terminalCount } from '../support/scenario-kit.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { createTopics, e2e, TOPICS } from '../support/e2e-context.js';

/**
 * The request topic deleted and created again under the same name while the service is stopped
 * (as when it moves to another cluster): its offsets start again at 0, so every new message sits
 * at a position (topic, partition, offset) a message of the old topic was recorded at. Each is a
 * new message, not a redelivery: recorded, answered or dead-lettered, nothing swallowed.
 * One partition, so that every new message's position was used before.
 */
describe('topic recreated: a new message at a reused Kafka position is not a redelivery', { timeout: 240_000 }, () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed, TOPICS.deadLetter] });
  const brokers = e2e.kafkaBrokers;

  it('after delete + create of the request topic, 10 new requests, one without requestId and one poison message each end once', async () => {
    const startedAt = Date.now();
    const scenario = await scenarioTopic(brokers, 'topic-recreated', 1);
    // Without a requestId: its id is derived from its position, which the new topic hands out again.
    const oldWithoutId = withoutRequestId(sampleRequest());
    const old = Array.from({ length: 20 }, () => sampleRequest());
    const first = await parts.start('topic-recreated-first', scenario.env);
    await publishRequests(parts.kafka, scenario.topic, [oldWithoutId, ...old]);
    await waitFor('the old requests to end', async () => (await terminalCount(parts.db, old)) === old.length, 60_000);
    await waitForOutcomeOf(oldWithoutId.keyId);
    expect(await first.stop()).toBe(0);
    expect(await committedOffsets(brokers, scenario.groupId, scenario.topic)).toEqual(new Map([[0, old.length + 1]]));

    await recreateTopic(scenario.topic);
    // Kafka drops the group's offsets of a deleted topic: the group reads the new one from its beginning.
    expect(await committedOffsets(brokers, scenario.groupId, scenario.topic)).toEqual(new Map([[0, -1]]));
    const newWithoutId = withoutRequestId(sampleRequest());
    const fresh = Array.from({ length: 10 }, () => sampleRequest());
    const poison = `not { JSON, sent after the topic was recreated ${Date.now()}`;
    await publishRequests(parts.kafka, scenario.topic, [newWithoutId, ...fresh]);
    await parts.kafka.send(scenario.topic, [{ key: 'poison', value: poison }]);
    expect(await endOffsets(brokers, scenario.topic)).toEqual(new Map([[0, fresh.length + 2]]));

    const restartedAt = Date.now();
    const second = await parts.start('topic-recreated-second', scenario.env);
    const report = await waitUntilSettled(fresh, parts, 90_000);
    const recoverySeconds = ((Date.now() - restartedAt) / 1000).toFixed(1);
    recordScenario(
      'topic recreated',
      `request topic deleted and created again while stopped; 12 messages at used positions; all ended ${recoverySeconds} s after the restart`,
      report,
      startedAt,
    );
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ completed: fresh.length });

    // The request without requestId: its own outcome, under an id that is not the old one's.
    const [outcome] = await waitForOutcomeOf(newWithoutId.keyId);
    expect(outcome!.json.requestId).not.toBe(`${scenario.topic}:0:0`);
    expect(outcome!.json.requestId).toMatch(new RegExp(`^${scenario.topic.replaceAll('.', '\\.')}:0:0:[0-9a-f]{16}$`));

    // The poison message: dead-lettered, its copy on the dead-letter topic.
    await parts.kafka.waitForMessages(TOPICS.deadLetter, (message) => message.value?.toString('utf8') === poison, 1, 60_000);
    const deadLetters = await parts.db.rows<{ kafka_offset: string; reason: string }>(
      `SELECT kafka_offset, reason FROM dead_letter WHERE kafka_topic = $1 AND message_value = $2`,
      [scenario.topic, Buffer.from(poison)],
    );
    expect(deadLetters).toEqual([{ kafka_offset: String(fresh.length + 1), reason: 'not_json' }]);

    // The old requests were not touched by the new ones: still one outcome each, no second task.
    const before = await checkInvariants(old, parts);
    expect(before).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(outcomesOfKeyId(oldWithoutId.keyId)).toHaveLength(1);
    expect(second.log).not.toMatch(/ignored redelivery/);
    expect(await healthStatus(second.url)).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  function withoutRequestId(request: ReturnType<typeof sampleRequest>) {
    const { requestId: _requestId, ...rest } = request;
    return rest;
  }

  function outcomesOfKeyId(keyId: number) {
    return parts.kafka.received.filter(
      (message) => (message.topic === TOPICS.completed || message.topic === TOPICS.failed) && message.json?.keyId === keyId,
    );
  }

  function waitForOutcomeOf(keyId: number) {
    return waitFor(`the outcome of keyId ${keyId}`, () => (outcomesOfKeyId(keyId).length > 0 ? outcomesOfKeyId(keyId) : undefined), 60_000);
  }

  /** Deletes the topic and creates it again under the same name, once the broker has let go of the old one. */
  async function recreateTopic(topic: string): Promise<void> {
    const admin = createKafkaClient({ clientId: 'e2e-topic-recreated', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
      // Deletion finishes in the background: the name can be created again once it is gone.
      await waitFor(`${topic} to be deleted`, async () => !(await admin.listTopics()).includes(topic), 60_000, 250);
    } finally {
      await admin.disconnect();
    }
    await createTopics(brokers, [topic], 1);
  }
});

/** The dead-letter statement on the real schema: the same record once, a new record at a used position recorded. */
describe('insertDeadLetter: a dead letter is the record at its position, not the position', () => {
  const topic = `topic-recreated-${randomUUID()}`;
  let database: StatementTestDatabase;

  beforeAll(async () => {
    database = await statementTestDatabase('dead_letter_record');
  });

  afterAll(() => database?.close());

  /** Records a dead letter as DeadLetters does; whether it was new. */
  async function insert(offset: number, value: string, fingerprint: string): Promise<boolean> {
    const parameters = [
      topic,
      0,
      String(offset),
      Buffer.from('key'),
      Buffer.from(value),
      '{}',
      'not_json',
      'not JSON',
      new Date(),
      fingerprint,
    ];
    const inserted = await database.sql.transaction((transaction) => transaction.query(insertDeadLetter, parameters));
    return inserted.length === 1;
  }

  it('turns away the same record read again and records a different one at the same position', async () => {
    const fingerprint = randomBytes(32).toString('hex');
    expect(await insert(0, 'poison', fingerprint)).toBe(true);

    expect(await insert(0, 'poison', fingerprint)).toBe(false);
    expect(await insert(0, 'other poison', randomBytes(32).toString('hex'))).toBe(true);
    // Byte for byte the same value, but written later (another timestamp): another record.
    expect(await insert(0, 'poison', randomBytes(32).toString('hex'))).toBe(true);
  });

  it('takes a row without a record fingerprint to be the record with the same key and value bytes at its position', async () => {
    await database.db.rows(
      `INSERT INTO dead_letter (kafka_topic, kafka_partition, kafka_offset, message_key, message_value, reason, error_message)
       VALUES ($1, 0, 1, $2, $3, 'not_json', 'not JSON')`,
      [topic, Buffer.from('key'), Buffer.from('old poison')],
    );

    expect(await insert(1, 'old poison', randomBytes(32).toString('hex'))).toBe(false);
    expect(await insert(1, 'new poison', randomBytes(32).toString('hex'))).toBe(true);
  });
});
