/**
 * What the two hand-rolled relays of the benchmark share (naive-relay.ts, durable-floor-relay.ts):
 * their settings, the signed provider call with fetch, and the outcome event they publish. Written
 * as someone would by hand, and the same in both, so that they differ only in what they add.
 */
import { buildSignedHeaders, toUnixSeconds } from '#itniotech';
import type { Consumer } from 'kafkajs';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Read from the environment the benchmark gives both relays (bench-context.ts, startContender). */
export const relaySettings = {
  brokers: required('KAFKA_BROKERS').split(','),
  groupId: required('RELAY_GROUP_ID'),
  partitionsConcurrently: Number(process.env.RELAY_PARTITIONS_CONCURRENTLY || 1),
  topics: {
    requested: required('RELAY_TOPIC_REQUESTED'),
    completed: required('RELAY_TOPIC_COMPLETED'),
    failed: required('RELAY_TOPIC_FAILED'),
  },
};

const credentials = { apiKey: required('PROVIDER_API_KEY'), apiSecret: required('PROVIDER_API_SECRET') };
const resendUrl = `${required('PROVIDER_URL')}/voice/group/call/resend/ai`;

export interface Request {
  requestId: string;
  correlationId: string | null;
  keyId: number;
  taskName: string;
  [field: string]: unknown;
}

export interface Outcome {
  accepted: boolean;
  /** The provider's new task id, when accepted. */
  newKeyId: number | null;
  topic: string;
  message: { key: string; value: string };
}

/** One signed resend call; its answer as the outcome event to publish. */
export async function resendAndDescribe(request: Request): Promise<Outcome> {
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
  const newKeyId = accepted ? Number(answer.data) : null;
  const now = new Date().toISOString();
  const event = accepted
    ? { requestId, keyId, taskName, newKeyId, attempts: 1, submittedAt: now, correlationId, resolvedByLookup: false }
    : {
        requestId,
        keyId,
        taskName,
        error: { code: String(answer.status), message: String(answer.reason), category: 'provider' },
        attempts: 1,
        failedAt: now,
        correlationId,
      };
  return {
    accepted,
    newKeyId,
    topic: accepted ? relaySettings.topics.completed : relaySettings.topics.failed,
    message: { key: String(keyId), value: JSON.stringify(event) },
  };
}

/** Consumes the requested topic, `relay` for each message in turn per partition, until SIGTERM (then `close`). */
export async function consumeRequests(
  name: string,
  consumer: Consumer,
  relay: (request: Request) => Promise<void>,
  close: () => Promise<unknown>[],
): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: relaySettings.topics.requested, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: relaySettings.partitionsConcurrently,
    eachMessage: async ({ message }) => relay(JSON.parse(message.value!.toString()) as Request),
  });
  console.log(`${name} consuming ${relaySettings.topics.requested}`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([consumer.disconnect(), ...close()]).then(() => process.exit(0));
    });
  }
}
