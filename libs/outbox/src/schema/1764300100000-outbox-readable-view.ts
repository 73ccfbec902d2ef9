import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * outbox_event_readable decoded every row whose headers say `content-type: application/json`.
 * A dead-letter copy keeps the original message's headers, so a message that claimed JSON and
 * was not (the reason it was dead-lettered) made the whole view fail with "invalid input syntax
 * for type json". Dead-letter copies (they carry `dlq_reason`) are no longer decoded.
 */
export class OutboxReadableView1764300100000 implements MigrationInterface {
  name = 'OutboxReadableView1764300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE VIEW outbox_event_readable AS
        SELECT id, topic, published_at IS NOT NULL AS published,
               CASE WHEN headers->>'content-type' = 'application/json' AND NOT headers ? 'dlq_reason'
                    THEN convert_from(message_key, 'UTF8') END AS message_key,
               CASE WHEN headers->>'content-type' = 'application/json' AND NOT headers ? 'dlq_reason'
                    THEN convert_from(message_value, 'UTF8')::jsonb END AS payload,
               headers, created_at, published_at, publish_attempts, last_error
          FROM outbox_event`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE VIEW outbox_event_readable AS
        SELECT id, topic, published_at IS NOT NULL AS published,
               CASE WHEN headers->>'content-type' = 'application/json'
                    THEN convert_from(message_key, 'UTF8') END AS message_key,
               CASE WHEN headers->>'content-type' = 'application/json'
                    THEN convert_from(message_value, 'UTF8')::jsonb END AS payload,
               headers, created_at, published_at, publish_attempts, last_error
          FROM outbox_event`);
  }
}
