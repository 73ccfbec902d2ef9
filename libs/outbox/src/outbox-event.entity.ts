import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A Kafka message waiting to be published, written in the same transaction as the state it
 * reports. The id doubles as the CloudEvents `ce_id`: it never changes, however often the row
 * is (re)published.
 */
@Entity('outbox_event')
export class OutboxEvent {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) topic!: string;
  @Column({ name: 'message_key', type: 'bytea', nullable: true }) messageKey!: Buffer | null;
  @Column({ name: 'message_value', type: 'bytea' }) messageValue!: Buffer;
  @Column({ type: 'jsonb', default: {} }) headers!: Record<string, string>;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'publish_attempts', type: 'integer', default: 0 }) publishAttempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  /** The request an outcome event reports on, so operators find its events by index; NULL for other messages. */
  @Column({ name: 'request_id', type: 'text', nullable: true }) requestId!: string | null;
  /** Set when Kafka refused the message for good (too large): never published, kept for operators. */
  @Column({ name: 'refused_at', type: 'timestamptz', nullable: true }) refusedAt!: Date | null;
  /** W3C traceparent the publication continues (the relay's publish span is its child); NULL: not traced. */
  @Column({ name: 'trace_parent', type: 'text', nullable: true }) traceParent!: string | null;
  @Column({ name: 'trace_state', type: 'text', nullable: true }) traceState!: string | null;
  /** Its writer publishes it itself (publish-on-commit): relays leave it alone until then. */
  @Column({ name: 'held_until', type: 'timestamptz', nullable: true }) heldUntil!: Date | null;
}
