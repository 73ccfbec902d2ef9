import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provider call budget shared by all instances (one token-bucket row), an index to count the
 * calls in flight, and a claim index that serves lookups after unknown outcomes first.
 */
export class ProviderCallBudget1764400100000 implements MigrationInterface {
  name = 'ProviderCallBudget1764400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE provider_call_budget (
        id              smallint PRIMARY KEY CHECK (id = 1),
        tokens          double precision NOT NULL DEFAULT 0,
        refilled_at     timestamptz NOT NULL DEFAULT now(),
        rate            double precision,
        rate_version    bigint NOT NULL DEFAULT 0,
        rate_changed_at timestamptz NOT NULL DEFAULT now(),
        cut_at          timestamptz,
        throttled_at    timestamptz,
        throttles       bigint NOT NULL DEFAULT 0,
        granted         integer NOT NULL DEFAULT 0,
        in_flight       integer NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`
      COMMENT ON TABLE provider_call_budget IS
        'One row: the token bucket of provider calls all instances share. rate is calls/s (NULL = no rate limit), '
        'adapted on -15 answers when adaptive mode is on; granted and in_flight are what the latest claim batch saw.'`);
    await queryRunner.query(`INSERT INTO provider_call_budget (id) VALUES (1)`);
    // Counts the calls in flight for the concurrency limit: few rows, an index-only count.
    await queryRunner.query(`
      CREATE INDEX resend_request_in_flight ON resend_request (lease_expires_at) WHERE status = 'in_progress'`);
    // The claim serves requests whose earlier outcome is unknown (a lookup) before new submissions.
    await queryRunner.query(`
      CREATE INDEX resend_request_claim_order
        ON resend_request (outcome_unknown DESC, next_attempt_at) WHERE status IN ('pending', 'in_progress')`);
    await queryRunner.query(`DROP INDEX resend_request_claimable`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX resend_request_claimable
        ON resend_request (next_attempt_at) WHERE status IN ('pending', 'in_progress')`);
    await queryRunner.query(`DROP INDEX resend_request_claim_order`);
    await queryRunner.query(`DROP INDEX resend_request_in_flight`);
    await queryRunner.query(`DROP TABLE provider_call_budget`);
  }
}
