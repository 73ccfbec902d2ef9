import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the operator API needs:
 * - `outbox_event.request_id`: the request an outcome event reports on, written by the outbox
 *   writer (NULL for dead-letter copies and replays), so a request's events are found by index
 *   instead of decoding every value. Existing outcome events are backfilled: they are the rows
 *   whose `ce_type` is their topic and that are not dead-letter copies (those carry `dlq_reason`).
 * - `dead_letter.replayed_at / replayed_by / replay_event_id`: a dead letter is replayed once;
 *   the UPDATE … WHERE replayed_at IS NULL that sets them decides between concurrent replays.
 * - indexes for newest-first paging of requests and dead letters.
 */
export class OperatorApi1764400200000 implements MigrationInterface {
  name = 'OperatorApi1764400200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event ADD COLUMN request_id text`);
    await queryRunner.query(`
      UPDATE outbox_event
         SET request_id = convert_from(message_value, 'UTF8')::jsonb ->> 'requestId'
       WHERE headers ->> 'ce_type' = topic AND NOT headers ? 'dlq_reason'
         AND headers ->> 'content-type' = 'application/json'`);
    await queryRunner.query(`CREATE INDEX outbox_event_request_id ON outbox_event (request_id) WHERE request_id IS NOT NULL`);

    await queryRunner.query(`
      ALTER TABLE dead_letter
        ADD COLUMN replayed_at timestamptz,
        ADD COLUMN replayed_by text,
        ADD COLUMN replay_event_id uuid`);

    await queryRunner.query(`CREATE INDEX resend_request_newest ON resend_request (received_at, id)`);
    await queryRunner.query(`CREATE INDEX resend_request_status_newest ON resend_request (status, received_at, id)`);
    await queryRunner.query(`CREATE INDEX dead_letter_newest ON dead_letter (received_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS dead_letter_newest`);
    await queryRunner.query(`DROP INDEX IF EXISTS resend_request_status_newest`);
    await queryRunner.query(`DROP INDEX IF EXISTS resend_request_newest`);
    await queryRunner.query(`
      ALTER TABLE dead_letter DROP COLUMN replay_event_id, DROP COLUMN replayed_by, DROP COLUMN replayed_at`);
    await queryRunner.query(`DROP INDEX IF EXISTS outbox_event_request_id`);
    await queryRunner.query(`ALTER TABLE outbox_event DROP COLUMN request_id`);
  }
}
