import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox rows Kafka refuses for good (a message larger than the broker accepts) are set aside
 * with `refused_at` instead of being retried forever in front of every row behind them.
 */
export class OutboxRefused1764300000000 implements MigrationInterface {
  name = 'OutboxRefused1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event ADD COLUMN refused_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event DROP COLUMN refused_at`);
  }
}
