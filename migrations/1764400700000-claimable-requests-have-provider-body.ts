import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A request that can be claimed (pending, or in progress under a lease) has the body to send.
 * Intake always writes it for such rows; a row edited by hand without it made every claim that
 * reached it fail (its attempt row needs the body), so one row stopped the calls of every instance.
 * The database now refuses such a row. Validated in a second step, which does not block writes;
 * if an existing row breaks the rule the migration fails, naming the constraint: give the row its
 * body back, or mark it failed (docs/operations.md).
 */
export class ClaimableRequestsHaveProviderBody1764400700000 implements MigrationInterface {
  name = 'ClaimableRequestsHaveProviderBody1764400700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE resend_request ADD CONSTRAINT resend_request_claimable_has_provider_body
        CHECK (provider_body IS NOT NULL OR status NOT IN ('pending', 'in_progress')) NOT VALID`);
    await queryRunner.query(`ALTER TABLE resend_request VALIDATE CONSTRAINT resend_request_claimable_has_provider_body`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE resend_request DROP CONSTRAINT resend_request_claimable_has_provider_body`);
  }
}
