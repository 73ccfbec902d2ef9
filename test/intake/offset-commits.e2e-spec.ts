import { createKafkaClient } from '#common';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sampleRequest } from '../support/requests.js';
import { committedOffsets, endOffsets, publishRequests, recordedCount, scenarioTopic, terminalCount } from '../support/scenario-kit.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { e2e } from '../support/e2e-context.js';

/**
 * The consumer group's offsets (real OS processes, a real broker): committed on a timer
 * (KAFKA_OFFSET_COMMIT_INTERVAL_MS) and at shutdown, not after every batch — the commit round
 * trip would hold up the next fetch —, when a rebalance starts, and only ever for messages already
 * recorded.
 */
describe('offset commits: on a timer and at shutdown', { timeout: 180_000 }, () => {
  const parts = useServiceProcesses();
  const brokers = e2e.kafkaBrokers;

  async function published(requestIds: string[]): Promise<number> {
    const [row] = await parts.db.rows<{ count: string }>(
      `SELECT count(*) AS count FROM outbox_event WHERE request_id = ANY($1) AND published_at IS NOT NULL`,
      [requestIds],
    );
    return Number(row!.count);
  }

  it('not after each batch: nothing is committed until the interval, then SIGTERM commits every recorded message', async () => {
    const scenario = await scenarioTopic(brokers, 'offsets-at-stop');
    const service = await parts.start('offsets-at-stop', { ...scenario.env, KAFKA_OFFSET_COMMIT_INTERVAL_MS: '60000' });
    const sent = Array.from({ length: 20 }, () => sampleRequest());
    await publishRequests(parts.kafka, scenario.topic, sent);

    // Their outcomes published: long after a commit per batch would have been made.
    await waitFor(
      'every request to end and its outcome to be published',
      async () => (await published(sent.map((r) => r.requestId))) === 20,
      60_000,
    );
    expect(await terminalCount(parts.db, sent)).toBe(20);
    expect([...(await committedOffsets(brokers, scenario.groupId, scenario.topic)).values()].filter((offset) => offset >= 0)).toEqual([]);

    expect(await service.stop()).toBe(0);
    expect(await committedOffsets(brokers, scenario.groupId, scenario.topic)).toEqual(await endOffsets(brokers, scenario.topic));
  });

  it('commits every recorded message within the interval while it runs', async () => {
    const scenario = await scenarioTopic(brokers, 'offsets-on-timer');
    const service = await parts.start('offsets-on-timer', { ...scenario.env, KAFKA_OFFSET_COMMIT_INTERVAL_MS: '500' });
    const sent = Array.from({ length: 20 }, () => sampleRequest());
    await publishRequests(parts.kafka, scenario.topic, sent);
    const ends = await endOffsets(brokers, scenario.topic);

    await waitFor(
      'the group to commit the end of every partition',
      async () => {
        const committed = await committedOffsets(brokers, scenario.groupId, scenario.topic);
        return [...ends].every(([partition, end]) => committed.get(partition) === end);
      },
      30_000,
      250,
    );
    // Committed means recorded: every message below a committed offset has its row.
    expect(await recordedCount(parts.db, sent)).toBe(20);
    expect(service.log).not.toMatch(/could not commit offsets/);
    expect(await service.stop()).toBe(0);
  });

  it('commits every recorded message when a rebalance starts, long before the interval', async () => {
    const scenario = await scenarioTopic(brokers, 'offsets-on-rebalance');
    // The longest interval there is: whatever is committed before it has passed, the rebalance committed.
    const intervalMs = 60_000;
    const startedAt = Date.now();
    const service = await parts.start('offsets-on-rebalance', { ...scenario.env, KAFKA_OFFSET_COMMIT_INTERVAL_MS: String(intervalMs) });
    const sent = Array.from({ length: 20 }, () => sampleRequest());
    await publishRequests(parts.kafka, scenario.topic, sent);
    await waitFor(
      'every request to end and its outcome to be published',
      async () => (await published(sent.map((r) => r.requestId))) === 20,
      60_000,
    );
    expect([...(await committedOffsets(brokers, scenario.groupId, scenario.topic)).values()].filter((offset) => offset >= 0)).toEqual([]);
    const ends = await endOffsets(brokers, scenario.topic);

    // A second member joins the group (it commits nothing itself): the partitions it takes must
    // not go to it with their recorded messages uncommitted, to be read and recognised again.
    const joiner = createKafkaClient({ clientId: 'e2e-joiner', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).consumer({
      groupId: scenario.groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
    });
    try {
      await joiner.connect();
      await joiner.subscribe({ topics: [scenario.topic], fromBeginning: true });
      await joiner.run({ autoCommit: false, eachMessage: async () => undefined });
      await waitFor(
        'the rebalance to commit the end of every partition',
        async () => {
          const committed = await committedOffsets(brokers, scenario.groupId, scenario.topic);
          return [...ends].every(([partition, end]) => committed.get(partition) === end);
        },
        startedAt + intervalMs - 2_000 - Date.now(),
        250,
      );
    } finally {
      await joiner.disconnect();
    }
    expect(await service.stop()).toBe(0);
  });
});
