import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A repeat of a request still under way waits (status `duplicate`, no finished_at) until that
 * request ends; the statement that ends it answers its repeats (submission.sql.ts, answerRepeats)
 * and finds them through this index.
 */
export class RepeatsAnsweredByOriginal1764400000000 implements MigrationInterface {
  name = 'RepeatsAnsweredByOriginal1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX resend_request_waiting_repeats
        ON resend_request (duplicate_of) WHERE status = 'duplicate' AND finished_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS resend_request_waiting_repeats`);
  }
}
