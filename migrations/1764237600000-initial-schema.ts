import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable, dropOutboxTable } from '#outbox';

/**
 * The audit record: one row per consumed request, one per provider call, one per dead letter,
 * and the transactional outbox of every event the service emits (its table, trigger and view are
 * the outbox library's: createOutboxTable).
 */
export class InitialSchema1764237600000 implements MigrationInterface {
  name = 'InitialSchema1764237600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE resend_request (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id         text NOT NULL,
        key_id             bigint,
        task_name          text,
        correlation_id     text,
        status             text NOT NULL
                           CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'duplicate')),
        payload            jsonb NOT NULL,
        provider_body      jsonb,
        body_fingerprint   text,
        provider_task_id   bigint,
        resolved_by_lookup boolean NOT NULL DEFAULT false,
        error_code         text,
        error_message      text,
        error_category     text,
        duplicate_of       uuid REFERENCES resend_request (id),
        attempts           integer NOT NULL DEFAULT 0,
        outcome_unknown    boolean NOT NULL DEFAULT false,
        had_unknown_outcome boolean NOT NULL DEFAULT false,
        lookup_failures    integer NOT NULL DEFAULT 0,
        next_attempt_at    timestamptz,
        lease_owner        text,
        lease_expires_at   timestamptz,
        kafka_topic        text NOT NULL,
        kafka_partition    integer NOT NULL,
        kafka_offset       bigint NOT NULL,
        received_at        timestamptz NOT NULL DEFAULT now(),
        first_attempt_at   timestamptz,
        finished_at        timestamptz,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT resend_request_request_id_unique UNIQUE (request_id),
        CONSTRAINT resend_request_kafka_position_unique UNIQUE (kafka_topic, kafka_partition, kafka_offset)
      )`);
    // The idempotency guarantee lives here, not only in code: at most one live or completed
    // request per keyId, whichever instance tries to insert a second one.
    await queryRunner.query(`
      CREATE UNIQUE INDEX resend_request_one_live_per_key_id
        ON resend_request (key_id) WHERE status IN ('pending', 'in_progress', 'completed')`);
    await queryRunner.query(`
      CREATE INDEX resend_request_claimable
        ON resend_request (next_attempt_at) WHERE status IN ('pending', 'in_progress')`);
    await queryRunner.query(`CREATE INDEX resend_request_key_id ON resend_request (key_id)`);

    await queryRunner.query(`
      CREATE TABLE submission_attempt (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        request_id      uuid NOT NULL REFERENCES resend_request (id),
        attempt_number  integer NOT NULL,
        kind            text NOT NULL CHECK (kind IN ('submit', 'lookup')),
        request_body    jsonb NOT NULL,
        sign_timestamp  bigint,
        started_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        outcome         text NOT NULL DEFAULT 'in_flight',
        http_status     integer,
        provider_status text,
        provider_reason text,
        error_code      text,
        error_message   text,
        latency_ms      integer,
        CONSTRAINT submission_attempt_number_unique UNIQUE (request_id, attempt_number)
      )`);

    await queryRunner.query(`
      CREATE TABLE dead_letter (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kafka_topic     text NOT NULL,
        kafka_partition integer NOT NULL,
        kafka_offset    bigint NOT NULL,
        message_key     bytea,
        message_value   bytea,
        headers         jsonb NOT NULL DEFAULT '{}',
        reason          text NOT NULL,
        error_message   text NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT dead_letter_kafka_position_unique UNIQUE (kafka_topic, kafka_partition, kafka_offset)
      )`);

    await createOutboxTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropOutboxTable(queryRunner);
    await queryRunner.query(`DROP TABLE IF EXISTS dead_letter`);
    await queryRunner.query(`DROP TABLE IF EXISTS submission_attempt`);
    await queryRunner.query(`DROP TABLE IF EXISTS resend_request`);
  }
}
