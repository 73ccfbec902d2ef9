/**
 * The benchmark's second baseline, for the paced arm: the naive relay plus the least that any relay
 * keeping the service's two guarantees must add, and nothing else.
 *   1. the request is committed, marked in flight, before the provider is called (one autocommit
 *      INSERT; a keyId already recorded is not called again);
 *   2. the outcome event is written in the same transaction as the state it reports (one
 *      autocommit statement: UPDATE of the request + INSERT of the outbox row);
 *   3. after the commit the event is published, then marked published.
 * No validation, retries, recovery of stale claims, attempt rows, lookups, logging or metrics: it
 * shows what the guarantees alone cost on this machine, so that the service's distance from the
 * naive relay can be split into "the guarantees" and "the service". Run by scripts/bench/paced-arm.ts:
 *   node dist/scripts/bench/durable-floor-relay.js
 * Environment: as the naive relay's (scripts/bench/naive-relay.ts), plus DATABASE_URL (an empty database).
 */
import { buildSignedHeaders, toUnixSeconds } from '#itniotech';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

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
const partitionsConcurrently = Number(process.env.RELAY_PARTITIONS_CONCURRENTLY || 1);

const kafka = new Kafka({ clientId: 'durable-floor', brokers: required('KAFKA_BROKERS').split(','), logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: required('RELAY_GROUP_ID') });
const producer = kafka.producer({ allowAutoTopicCreation: false });
const database = new pg.Pool({ connectionString: required('DATABASE_URL'), max: partitionsConcurrently });

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_request (
    key_id bigint PRIMARY KEY,
    request_id text NOT NULL,
    state text NOT NULL DEFAULT 'in_flight',
    provider_task_id bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  );
  CREATE TABLE IF NOT EXISTS floor_outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    message_key text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
  )`;

/** Committed before the call; no row back = this keyId was recorded before: not called again. */
const RECORD_IN_FLIGHT = {
  name: 'floor-record-in-flight',
  text: `INSERT INTO floor_request (key_id, request_id) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING RETURNING key_id`,
};
/** The result and its outcome event in one transaction (one statement, autocommit). */
const FINISH_AND_WRITE_OUTCOME = {
  name: 'floor-finish-and-write-outcome',
  text: `WITH finished AS (
           UPDATE floor_request SET state = $2, provider_task_id = $3, finished_at = now() WHERE key_id = $1
         )
         INSERT INTO floor_outbox (topic, message_key, payload) VALUES ($4, $5, $6) RETURNING id`,
};
const MARK_PUBLISHED = { name: 'floor-mark-published', text: `UPDATE floor_outbox SET published_at = now() WHERE id = $1` };

/** Prepared once per connection, as the service's statements are; a literal (no spread: see sql.ts). */
function run<Row extends pg.QueryResultRow>(statement: { name: string; text: string }, values: unknown[]) {
  return database.query<Row>({ name: statement.name, text: statement.text, values });
}

interface Request {
  requestId: string;
  correlationId: string | null;
  keyId: number;
  taskName: string;
  [field: string]: unknown;
}

async function relay(request: Request): Promise<void> {
  const { requestId, correlationId, keyId, taskName } = request;
  const recorded = await run(RECORD_IN_FLIGHT, [keyId, requestId]);
  if (recorded.rowCount === 0) return;

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
  const topic = accepted ? topics.completed : topics.failed;
  const message = { key: String(keyId), value: JSON.stringify(event) };
  const written = await run<{ id: string }>(FINISH_AND_WRITE_OUTCOME, [
    keyId,
    accepted ? 'completed' : 'failed',
    accepted ? Number(answer.data) : null,
    topic,
    message.key,
    message.value,
  ]);

  await producer.send({ topic, acks: -1, messages: [message] });
  await run(MARK_PUBLISHED, [written.rows[0]!.id]);
}

await database.query(SCHEMA);
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: topics.requested, fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: partitionsConcurrently,
  eachMessage: async ({ message }) => relay(JSON.parse(message.value!.toString()) as Request),
});
console.log(`durable floor relay consuming ${topics.requested}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([consumer.disconnect(), producer.disconnect(), database.end()]).then(() => process.exit(0));
  });
}
