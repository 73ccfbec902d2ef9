import type { DeadLetterReason } from '#contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A consumed message that could not become a request; its exact bytes are kept and forwarded to the DLQ topic. */
@Entity('dead_letter')
export class DeadLetter {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'kafka_topic', type: 'text' }) kafkaTopic!: string;
  @Column({ name: 'kafka_partition', type: 'integer' }) kafkaPartition!: number;
  @Column({ name: 'kafka_offset', type: 'bigint' }) kafkaOffset!: string;
  /** SHA-256 of the record's timestamp, key, value and headers: the position may be used again by a recreated topic. Null on rows from before it was kept. */
  @Column({ name: 'kafka_record_fingerprint', type: 'bytea', nullable: true }) kafkaRecordFingerprint!: Buffer | null;
  @Column({ name: 'message_key', type: 'bytea', nullable: true }) messageKey!: Buffer | null;
  @Column({ name: 'message_value', type: 'bytea', nullable: true }) messageValue!: Buffer | null;
  @Column({ type: 'jsonb', default: {} }) headers!: Record<string, string>;
  @Column({ type: 'text' }) reason!: DeadLetterReason;
  @Column({ name: 'error_message', type: 'text' }) errorMessage!: string;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt!: Date;
  /** Set once, by the operator API's replay (see operator-api/dead-letter-replay.ts). */
  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true }) replayedAt!: Date | null;
  @Column({ name: 'replayed_by', type: 'text', nullable: true }) replayedBy!: string | null;
  @Column({ name: 'replay_event_id', type: 'uuid', nullable: true }) replayEventId!: string | null;
}
