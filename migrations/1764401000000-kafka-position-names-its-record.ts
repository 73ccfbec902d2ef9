import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Kafka position (topic, partition, offset) names a record only while its topic lives: a topic
 * deleted and created again under the same name starts its offsets at 0 again, and a new message
 * at a used position must not be taken for a redelivery of the old one. The record's fingerprint
 * (SHA-256 of its timestamp, key, value and headers, recordFingerprint) joins the position in the
 * unique constraints of request rows and dead letters: the same record read again is turned away,
 * a different record at a used position is recorded. Rows written without a fingerprint (NULL,
 * never equal to another) are matched by position alone: a request without requestId named by
 * that position is taken to be the same record, and so is a dead letter with the same key and
 * value bytes there (see intake.sql.ts).
 */
export class KafkaPositionNamesItsRecord1764401000000 implements MigrationInterface {
  name = 'KafkaPositionNamesItsRecord1764401000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['resend_request', 'dead_letter']) {
      await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN kafka_record_fingerprint bytea`);
      await queryRunner.query(`
        COMMENT ON COLUMN ${table}.kafka_record_fingerprint IS
          'SHA-256 of the Kafka record''s timestamp, key, value and headers: with the position, the record the row came from (NULL: recorded before it was kept)'`);
      await queryRunner.query(`
        ALTER TABLE ${table}
          ADD CONSTRAINT ${table}_kafka_record_unique UNIQUE (kafka_topic, kafka_partition, kafka_offset, kafka_record_fingerprint),
          DROP CONSTRAINT ${table}_kafka_position_unique`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['resend_request', 'dead_letter']) {
      // Refused if a recreated topic's messages share positions with older ones: the old constraint cannot hold them.
      await queryRunner.query(`
        ALTER TABLE ${table}
          ADD CONSTRAINT ${table}_kafka_position_unique UNIQUE (kafka_topic, kafka_partition, kafka_offset),
          DROP CONSTRAINT ${table}_kafka_record_unique`);
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN kafka_record_fingerprint`);
    }
  }
}
