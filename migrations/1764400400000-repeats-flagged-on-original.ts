import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `resend_request.has_repeats`: set once a repeat has been recorded to wait for this request's
 * outcome (status `duplicate`, no finished_at), and never cleared. The statement that ends a
 * request returns it, and the result's transaction looks for repeats to answer (answerRepeats)
 * only when it is set: one statement fewer per result on the usual path, where nothing repeats.
 *
 * A trigger sets it, in the intake's own transaction, so that every instance's intake does, old
 * ones included while a deployment rolls. That transaction holds the original's row lock (intake
 * locks live requests FOR UPDATE) and now changes the row: a finishRequests that waited for that
 * lock reads the row as committed, flag included, although its snapshot cannot see the repeat.
 */
export class RepeatsFlaggedOnOriginal1764400400000 implements MigrationInterface {
  name = 'RepeatsFlaggedOnOriginal1764400400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE resend_request ADD COLUMN has_repeats boolean NOT NULL DEFAULT false`);
    // Repeats already waiting when this runs.
    await queryRunner.query(`
      UPDATE resend_request o SET has_repeats = true
       WHERE EXISTS (SELECT 1 FROM resend_request d
                      WHERE d.duplicate_of = o.id AND d.status = 'duplicate' AND d.finished_at IS NULL)`);
    await queryRunner.query(`
      CREATE FUNCTION flag_repeated_original() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE resend_request SET has_repeats = true WHERE id = NEW.duplicate_of AND NOT has_repeats;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER resend_request_repeat_waits AFTER INSERT ON resend_request
        FOR EACH ROW WHEN (NEW.status = 'duplicate' AND NEW.finished_at IS NULL)
        EXECUTE FUNCTION flag_repeated_original()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS resend_request_repeat_waits ON resend_request`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS flag_repeated_original`);
    await queryRunner.query(`ALTER TABLE resend_request DROP COLUMN has_repeats`);
  }
}
