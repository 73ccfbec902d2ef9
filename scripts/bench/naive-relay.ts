/**
 * The benchmark's baseline: the relay someone would write by hand in an afternoon. kafkajs
 * `eachMessage` → one signed provider call with fetch → `producer.send` of the outcome event.
 * No database, no validation, no retries, no idempotency, no outbox. Run by scripts/bench/bench.ts:
 *   node dist/scripts/bench/naive-relay.js
 * Environment: KAFKA_BROKERS, RELAY_GROUP_ID, RELAY_TOPIC_REQUESTED, RELAY_TOPIC_COMPLETED,
 * RELAY_TOPIC_FAILED, RELAY_PARTITIONS_CONCURRENTLY, PROVIDER_URL, PROVIDER_API_KEY, PROVIDER_API_SECRET.
 */
import { buildSignedHeaders, toUnixSeconds } from '#itniotech';
import { Kafka, logLevel } from 'kafkajs';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const topics = {
  requested: required('RELAY_TOPIC_REQUESTED'),
  completed: required('RELAY_TOPIC_COMPLETED'),
  failed: required('RELAY_TOPIC_FAILED'),
};
const credentials = { apiKey: required('PROVIDER_API_KEY'), apiSecret: required('PROVIDER_API_SECRET') };
const resendUrl = `${required('PROVIDER_URL')}/voice/group/call/resend/ai`;

const kafka = new Kafka({ clientId: 'naive-relay', brokers: required('KAFKA_BROKERS').split(','), logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: required('RELAY_GROUP_ID') });
const producer = kafka.producer({ allowAutoTopicCreation: false });

interface Request {
  requestId: string;
  correlationId: string | null;
  keyId: number;
  taskName: string;
  [field: string]: unknown;
}

async function relay(request: Request): Promise<void> {
  const { requestId, correlationId, keyId, taskName } = request;
  const body = {
    keyId,
    taskName,
    resendType: request['resendType'],
    scriptId: request['scriptId'],
    displayNum: request['displayNum'],
    sendTime: request['sendTime'],
    maxCalls: request['maxCalls'],
    allowSendTime: request['allowSendTime'],
    maxRingingTime: request['maxRingingTime'],
    enableRecording: request['enableRecording'],
  };
  const response = await fetch(resendUrl, {
    method: 'POST',
    headers: { ...buildSignedHeaders(credentials, toUnixSeconds(Date.now())) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { status?: unknown; reason?: unknown; data?: unknown };
  const accepted = String(answer.status) === '0';
  const now = new Date().toISOString();
  const event = accepted
    ? { requestId, keyId, taskName, newKeyId: Number(answer.data), attempts: 1, submittedAt: now, correlationId, resolvedByLookup: false }
    : {
        requestId,
        keyId,
        taskName,
        error: { code: String(answer.status), message: String(answer.reason), category: 'provider' },
        attempts: 1,
        failedAt: now,
        correlationId,
      };
  await producer.send({
    topic: accepted ? topics.completed : topics.failed,
    acks: -1,
    messages: [{ key: String(keyId), value: JSON.stringify(event) }],
  });
}

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: topics.requested, fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: Number(process.env.RELAY_PARTITIONS_CONCURRENTLY || 1),
  eachMessage: async ({ message }) => relay(JSON.parse(message.value!.toString()) as Request),
});
console.log(`naive relay consuming ${topics.requested}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([consumer.disconnect(), producer.disconnect()]).then(() => process.exit(0));
  });
}
