/**
 * Publishes one sample `campaign.resend.requested` event and prints the outcome event that
 * comes back (completed or failed). Used by `npm start`; handy on its own:
 *   node dist/scripts/publish-sample.js [keyId]
 * Environment: the service's Kafka settings — KAFKA_BROKERS (127.0.0.1:9092), KAFKA_SSL*, KAFKA_SASL*
 * (see docs/security.md), KAFKA_TOPIC_REQUESTED/COMPLETED/FAILED (defaults).
 */
import { createKafkaClient } from '#common';
import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { loadKafkaConfig } from '../apps/resend-service/src/config/app-config.js';
import { kafkaClientConfig } from '../apps/resend-service/src/kafka/kafka-client-config.js';
import { EXAMPLE_TASK_SETTINGS } from './support/example-task-settings.js';

const config = (() => {
  try {
    return loadKafkaConfig();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
})();
const topics = config.topics;
const timeoutMs = Number(process.env.SAMPLE_TIMEOUT_MS || 60_000);

const keyId = Number(process.argv[2] || 100_000 + Math.floor(Math.random() * 900_000));
const requestId = `sample-${randomUUID()}`;
const request = {
  requestId,
  correlationId: `corr-${randomUUID().slice(0, 8)}`,
  keyId,
  taskName: `sample resend ${new Date().toISOString()}`,
  ...EXAMPLE_TASK_SETTINGS,
};

const kafka = createKafkaClient({ ...kafkaClientConfig(config), clientId: 'resend-relay-sample', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `resend-relay-sample-${randomUUID()}` });
const producer = kafka.producer({ allowAutoTopicCreation: false });

await consumer.connect();
await consumer.subscribe({ topics: [topics.completed, topics.failed], fromBeginning: true });
const outcome = new Promise<{ topic: string; headers: Record<string, string>; value: unknown }>((resolve) => {
  void consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value?.toString() ?? 'null') as { requestId?: unknown } | null;
      if (value?.requestId !== requestId) return;
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      resolve({ topic, headers, value });
    },
  });
});

await producer.connect();
await producer.send({ topic: topics.requested, acks: -1, messages: [{ key: String(keyId), value: JSON.stringify(request) }] });
console.log(`published to ${topics.requested}:\n${JSON.stringify(request, null, 2)}\n`);

const timer = setTimeout(() => {
  console.error(`no outcome event for ${requestId} within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);
const event = await outcome;
clearTimeout(timer);
console.log(
  `received from ${event.topic}:\nheaders: ${JSON.stringify(event.headers, null, 2)}\nvalue: ${JSON.stringify(event.value, null, 2)}`,
);
await Promise.all([consumer.disconnect(), producer.disconnect()]);
process.exit(event.topic === topics.completed ? 0 : 2);
