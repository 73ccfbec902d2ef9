import { createKafkaClient } from '#common';
import { randomBytes } from 'node:crypto';
import { DEFAULT_TOPICS } from '#contracts';
import { logLevel, type Admin } from 'kafkajs';
import type { TestDatabase } from './database.js';
import { createTopics } from './e2e-context.js';
import type { KafkaTestClient } from './kafka-test-client.js';
import type { sampleRequest } from './requests.js';
import { waitFor } from './wait-for.js';

export type Request = ReturnType<typeof sampleRequest>;

/**
 * A requested topic and a consumer group of a scenario's own: its service instances see only
 * its messages (not what earlier files left on the shared topic), and it may use a database of
 * its own without another group's committed offsets getting in the way.
 */
export async function scenarioTopic(brokers: string, name: string, partitions = 3) {
  const suffix = `${name}-${randomBytes(3).toString('hex')}`;
  const topic = `${DEFAULT_TOPICS.requested}.${suffix}`;
  await createTopics(brokers, [topic], partitions);
  return {
    topic,
    groupId: `resend-relay-${suffix}`,
    env: { KAFKA_TOPIC_REQUESTED: topic, KAFKA_GROUP_ID: `resend-relay-${suffix}`, KAFKA_TOPIC_PARTITIONS: String(partitions) },
  };
}

/** Publishes requests keyed by keyId (so repeats of a keyId keep their order), in batches. */
export async function publishRequests(kafka: KafkaTestClient, topic: string, requests: object[], batchSize = 500): Promise<void> {
  for (let start = 0; start < requests.length; start += batchSize) {
    await kafka.send(
      topic,
      requests.slice(start, start + batchSize).map((request) => ({
        key: String((request as { keyId: number }).keyId),
        value: JSON.stringify(request),
      })),
    );
  }
}

/** The HTTP status of GET /health, or 0 when the service does not answer within 10 s. */
export async function healthStatus(serviceUrl: string): Promise<number> {
  return (await healthAnswer(serviceUrl)).status;
}

/**
 * The HTTP status of GET /health/live (the liveness probe), or 0 when the service does not answer
 * within 10 s.
 */
export async function livenessStatus(serviceUrl: string): Promise<number> {
  try {
    return (await fetch(`${serviceUrl}/health/live`, { signal: AbortSignal.timeout(10_000) })).status;
  } catch {
    return 0;
  }
}

/** GET /health: its status and body, or status 0 and the reason when the service does not answer within 10 s. */
async function healthAnswer(serviceUrl: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`${serviceUrl}/health`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: `no answer: ${(error as Error).message}` };
  }
}

/** Waits for GET /health to answer `status`; on timeout the error shows the last answer seen. */
export function waitForHealth(serviceUrl: string, status: 200 | 503, timeoutMs = 60_000): Promise<true> {
  return waitFor(
    `GET ${serviceUrl}/health to answer ${status}`,
    async () => {
      const answer = await healthAnswer(serviceUrl);
      if (answer.status === status) return true;
      throw new Error(`answered ${answer.status} at ${new Date().toISOString()}: ${answer.body.slice(0, 600)}`);
    },
    timeoutMs,
    250,
  );
}

/** How many of these requests have a row (any status) in resend_request. */
export async function recordedCount(db: TestDatabase, sent: { requestId: string }[]): Promise<number> {
  const [row] = await db.rows<{ count: string }>(`SELECT count(*) AS count FROM resend_request WHERE request_id = ANY($1)`, [
    sent.map((request) => request.requestId),
  ]);
  return Number(row!.count);
}

/** How many of these requests are terminal (completed, failed, duplicate) in resend_request. */
export async function terminalCount(db: TestDatabase, sent: { requestId: string }[]): Promise<number> {
  const [row] = await db.rows<{ count: string }>(
    `SELECT count(*) AS count FROM resend_request
      WHERE request_id = ANY($1) AND status IN ('completed', 'failed', 'duplicate')`,
    [sent.map((request) => request.requestId)],
  );
  return Number(row!.count);
}

/**
 * Log entries at warn level or above: pino JSON lines with level >= 40, and output that is not
 * pino JSON (TypeORM's console report of a failed query, stack traces), where a run of
 * consecutive non-JSON lines counts as one entry (a multi-line SQL statement is one report).
 */
export function noisyLines(log: string): string[] {
  const entries: string[] = [];
  let plain: string[] = [];
  const flushPlain = () => {
    if (plain.length > 0) entries.push(plain.join('\n'));
    plain = [];
  };
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    let level: unknown;
    try {
      level = (JSON.parse(line) as { level?: unknown }).level;
    } catch {
      plain.push(line);
      continue;
    }
    flushPlain();
    if (typeof level !== 'number' || level >= 40) entries.push(line);
  }
  flushPlain();
  return entries;
}

/** Members of a consumer group once it is stable (0 while it rebalances). */
export function stableMembers(brokers: string, groupId: string): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    return group?.state === 'Stable' ? group.members.length : 0;
  });
}

/** The end (high watermark) of each partition of `topic`. */
export function endOffsets(brokers: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  });
}

/** The offset `groupId` committed for each partition of `topic`: the next one it will read (-1: none yet). */
export function committedOffsets(brokers: string, groupId: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
  });
}

async function withAdmin<T>(brokers: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafkaClient({ clientId: 'e2e-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
