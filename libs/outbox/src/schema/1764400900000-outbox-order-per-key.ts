import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events of one key are published in the order they were written. `seq` is that order: taken
 * from a sequence when the row is inserted — not `created_at`, the start of the writing transaction:
 * a transaction that started first but waited for a row lock writes after the one it waited for.
 * Relays claim in `seq` order and skip a row while an earlier row of its topic and key is still
 * unpublished (outbox_event_unpublished_per_key finds those). Published rows keep no `seq`: only
 * the unpublished ones are numbered here, in the order the relay claimed them so far.
 * outbox_event_unpublished keeps its name (the backlog gauge and the docs refer to it) and carries
 * `created_at`, which the gauge's oldest-age reads without visiting the table.
 */
export class OutboxOrderPerKey1764400900000 implements MigrationInterface {
  name = 'OutboxOrderPerKey1764400900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE outbox_event_seq AS bigint`);
    await queryRunner.query(`ALTER TABLE outbox_event ADD COLUMN seq bigint`);
    await queryRunner.query(`ALTER SEQUENCE outbox_event_seq OWNED BY outbox_event.seq`);
    await queryRunner.query(`
      UPDATE outbox_event o SET seq = numbered.seq
        FROM (SELECT id, nextval('outbox_event_seq') AS seq
                FROM (SELECT id FROM outbox_event WHERE published_at IS NULL ORDER BY created_at, id) AS unpublished) AS numbered
       WHERE o.id = numbered.id`);
    await queryRunner.query(`ALTER TABLE outbox_event ALTER COLUMN seq SET DEFAULT nextval('outbox_event_seq')`);
    await queryRunner.query(`
      COMMENT ON COLUMN outbox_event.seq IS
        'Write order: relays publish the rows of one topic and key in this order (NULL: published before it was kept)'`);
    await queryRunner.query(`
      CREATE INDEX outbox_event_unpublished_in_seq ON outbox_event (seq) INCLUDE (created_at)
       WHERE published_at IS NULL AND refused_at IS NULL`);
    await queryRunner.query(`DROP INDEX outbox_event_unpublished`);
    await queryRunner.query(`ALTER INDEX outbox_event_unpublished_in_seq RENAME TO outbox_event_unpublished`);
    await queryRunner.query(`
      CREATE INDEX outbox_event_unpublished_per_key ON outbox_event (topic, message_key, seq)
       WHERE published_at IS NULL AND refused_at IS NULL AND message_key IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX outbox_event_unpublished_per_key`);
    await queryRunner.query(`
      CREATE INDEX outbox_event_unpublished_in_order ON outbox_event (created_at, id) WHERE published_at IS NULL AND refused_at IS NULL`);
    await queryRunner.query(`DROP INDEX outbox_event_unpublished`);
    await queryRunner.query(`ALTER INDEX outbox_event_unpublished_in_order RENAME TO outbox_event_unpublished`);
    await queryRunner.query(`ALTER TABLE outbox_event DROP COLUMN seq`);
  }
}
