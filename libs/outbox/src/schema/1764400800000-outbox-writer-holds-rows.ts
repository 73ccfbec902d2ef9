import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Publish-on-commit without a transaction of its own (WriterPublication.hold, publish): a
 * writer that publishes its own outbox rows writes them with `held_until`, and relays leave them
 * alone until then. The writer publishes them from memory after its COMMIT and marks them published;
 * before, it claimed them again (SELECT … FOR UPDATE) in a second transaction to keep the relays off.
 * A crashed writer's rows are the relays' once the hold has passed.
 */
export class OutboxWriterHoldsRows1764400800000 implements MigrationInterface {
  name = 'OutboxWriterHoldsRows1764400800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event ADD COLUMN held_until timestamptz`);
    await queryRunner.query(`
      COMMENT ON COLUMN outbox_event.held_until IS
        'Its writer publishes it itself: relays leave the row alone until then (publish-on-commit)'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event DROP COLUMN held_until`);
  }
}
