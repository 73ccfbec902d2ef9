import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_CHANNEL, WRITER_PUBLISHES_SETTING } from '../outbox.sql.js';

/**
 * Publish-on-commit (writer-publication.ts): a writer that publishes its own outbox rows right
 * after its commit says so for its transaction (`outbox.writer_publishes = on`, set with
 * set_config(..., true)), and then its INSERT wakes no relay: every relay woken for those rows
 * would only find them locked by the writer and claim nothing. Rows the writer fails to publish
 * (a crash, Kafka refusing) are found by the relays' polling, or by its own relay, woken in-process.
 */
export class OutboxWriterPublishes1764400600000 implements MigrationInterface {
  name = 'OutboxWriterPublishes1764400600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION notify_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('${WRITER_PUBLISHES_SETTING}', true), '') <> 'on' THEN
          PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
        END IF;
        RETURN NULL;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION notify_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
        RETURN NULL;
      END $$`);
  }
}
