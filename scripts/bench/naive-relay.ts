/**
 * The benchmark's baseline: the relay someone would write by hand in an afternoon. kafkajs
 * `eachMessage` → one signed provider call with fetch → `producer.send` of the outcome event.
 * No database, no validation, no retries, no idempotency, no outbox. Run by scripts/bench/bench.ts:
 *   node dist/scripts/bench/naive-relay.js
 * Environment: KAFKA_BROKERS, RELAY_GROUP_ID, RELAY_TOPIC_REQUESTED, RELAY_TOPIC_COMPLETED,
 * RELAY_TOPIC_FAILED, RELAY_PARTITIONS_CONCURRENTLY, PROVIDER_URL, PROVIDER_API_KEY, PROVIDER_API_SECRET.
 */
import { createKafkaClient } from '#common';
import { logLevel } from 'kafkajs';
import { consumeRequests, relaySettings, resendAndDescribe, type Request } from './hand-rolled.js';

const kafka = createKafkaClient({ clientId: 'naive-relay', brokers: relaySettings.brokers, logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: relaySettings.groupId });
const producer = kafka.producer({ allowAutoTopicCreation: false });

async function relay(request: Request): Promise<void> {
  const { topic, message } = await resendAndDescribe(request);
  await producer.send({ topic, acks: -1, messages: [message] });
}

await producer.connect();
await consumeRequests('naive relay', consumer, relay, () => [producer.disconnect()]);
