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
import { createKafkaClient } from '#common';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { consumeRequests, relaySettings, required, resendAndDescribe, type Request } from './hand-rolled.js';

const kafka = createKafkaClient({ clientId: 'durable-floor', brokers: relaySettings.brokers, logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: relaySettings.groupId });
const producer = kafka.producer({ allowAutoTopicCreation: false });
const database = new pg.Pool({
  connectionString: required('DATABASE_URL'),
  max: relaySettings.partitionsConcurrently,
});

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

async function relay(request: Request): Promise<void> {
  const recorded = await run(RECORD_IN_FLIGHT, [request.keyId, request.requestId]);
  if (recorded.rowCount === 0) return;

  const { accepted, newKeyId, topic, message } = await resendAndDescribe(request);
  const written = await run<{ id: string }>(FINISH_AND_WRITE_OUTCOME, [
    request.keyId,
    accepted ? 'completed' : 'failed',
    newKeyId,
    topic,
    message.key,
    message.value,
  ]);

  await producer.send({ topic, acks: -1, messages: [message] });
  await run(MARK_PUBLISHED, [written.rows[0]!.id]);
}

await database.query(SCHEMA);
await producer.connect();
await consumeRequests('durable floor relay', consumer, relay, () => [producer.disconnect(), database.end()]);
