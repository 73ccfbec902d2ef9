import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context (docs/operations.md#tracing), kept so that a trace survives the database:
 * - `resend_request.trace_parent / trace_state`: the context of the span that recorded the request
 *   (continuing the request message's `traceparent`, when it had one), written at intake and read
 *   by the claim, so that whichever instance submits the request continues the same trace.
 * - `outbox_event.trace_parent / trace_state`: the context an outbox row's publication continues
 *   (the span that decided an outcome, or recorded a dead letter); the relay's publish span is its
 *   child. Outcome events carry the same context in their headers (`traceparent`, `ce_traceparent`).
 * NULL where there is none: rows written before this migration, or while tracing was off and the
 * message carried no `traceparent`.
 */
export class TraceContext1764400300000 implements MigrationInterface {
  name = 'TraceContext1764400300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE resend_request ADD COLUMN trace_parent text, ADD COLUMN trace_state text`);
    await queryRunner.query(`ALTER TABLE outbox_event ADD COLUMN trace_parent text, ADD COLUMN trace_state text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event DROP COLUMN trace_state, DROP COLUMN trace_parent`);
    await queryRunner.query(`ALTER TABLE resend_request DROP COLUMN trace_state, DROP COLUMN trace_parent`);
  }
}
