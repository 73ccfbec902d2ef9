import type { DeadLetterReason } from '#contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A consumed message that could not become a request; its exact bytes are kept and forwarded to the DLQ topic. */
@Entity('dead_letter')
export class DeadLetter {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'kafka_topic', type: 'text' }) kafkaTopic!: string;
  @Column({ name: 'kafka_partition', type: 'integer' }) kafkaPartition!: number;
  @Column({ name: 'kafka_offset', type: 'bigint' }) kafkaOffset!: string;
  @Column({ name: 'message_key', type: 'bytea', nullable: true }) messageKey!: Buffer | null;
  @Column({ name: 'message_value', type: 'bytea', nullable: true }) messageValue!: Buffer | null;
  @Column({ type: 'jsonb', default: {} }) headers!: Record<string, string>;
  @Column({ type: 'text' }) reason!: DeadLetterReason;
  @Column({ name: 'error_message', type: 'text' }) errorMessage!: string;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt!: Date;
}
