import type { QueryRunner } from 'typeorm';
import { OUTBOX_CHANNEL } from '../outbox.sql.js';

/**
 * The outbox as it first was: its table, the trigger that announces new rows on OUTBOX_CHANNEL,
 * and a readable view for operators. Run by the application's first migration (it created its
 * own tables in the same one); the library's migrations (index.ts) change it from there.
 */
export async function createOutboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
      CREATE TABLE outbox_event (
        id               uuid PRIMARY KEY,
        topic            text NOT NULL,
        message_key      bytea,
        message_value    bytea NOT NULL,
        headers          jsonb NOT NULL DEFAULT '{}',
        created_at       timestamptz NOT NULL DEFAULT now(),
        published_at     timestamptz,
        publish_attempts integer NOT NULL DEFAULT 0,
        last_error       text
      )`);
  await queryRunner.query(`
      CREATE INDEX outbox_event_unpublished ON outbox_event (created_at) WHERE published_at IS NULL`);
  await queryRunner.query(`CREATE INDEX outbox_event_published_at ON outbox_event (published_at)`);
  // Wakes the relay as soon as an outbox row commits; polling remains the fallback.
  await queryRunner.query(`
      CREATE FUNCTION notify_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
        RETURN NULL;
      END $$`);
  await queryRunner.query(`
      CREATE TRIGGER outbox_event_inserted AFTER INSERT ON outbox_event
        FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_event()`);
  // For operators: the outcome events with readable keys and JSON values. Dead letters
  // carry the original bytes (possibly not text), so only JSON events are decoded.
  await queryRunner.query(`
      CREATE VIEW outbox_event_readable AS
        SELECT id, topic, published_at IS NOT NULL AS published,
               CASE WHEN headers->>'content-type' = 'application/json'
                    THEN convert_from(message_key, 'UTF8') END AS message_key,
               CASE WHEN headers->>'content-type' = 'application/json'
                    THEN convert_from(message_value, 'UTF8')::jsonb END AS payload,
               headers, created_at, published_at, publish_attempts, last_error
          FROM outbox_event`);
}

export async function dropOutboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP VIEW IF EXISTS outbox_event_readable`);
  await queryRunner.query(`DROP TABLE IF EXISTS outbox_event`);
  await queryRunner.query(`DROP FUNCTION IF EXISTS notify_outbox_event`);
}
