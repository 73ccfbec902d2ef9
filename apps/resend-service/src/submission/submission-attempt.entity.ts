import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AttemptKind = 'submit' | 'lookup';
export type AttemptOutcome =
  'in_flight' | 'accepted' | 'rejected' | 'http_error' | 'transport_error' | 'found' | 'not_found' | 'lookup_failed';

/**
 * One row per HTTP call to the provider, written before the call (outcome `in_flight`) and
 * completed after it. Holds the body sent and the Timestamp header, never the secret or the Sign.
 */
@Entity('submission_attempt')
export class SubmissionAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ name: 'request_id', type: 'uuid' }) requestId!: string;
  @Column({ name: 'attempt_number', type: 'integer' }) attemptNumber!: number;
  @Column({ type: 'text' }) kind!: AttemptKind;
  @Column({ name: 'request_body', type: 'jsonb' }) requestBody!: unknown;
  @Column({ name: 'sign_timestamp', type: 'bigint', nullable: true }) signTimestamp!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' }) startedAt!: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ type: 'text', default: 'in_flight' }) outcome!: AttemptOutcome;
  @Column({ name: 'http_status', type: 'integer', nullable: true }) httpStatus!: number | null;
  @Column({ name: 'provider_status', type: 'text', nullable: true }) providerStatus!: string | null;
  @Column({ name: 'provider_reason', type: 'text', nullable: true }) providerReason!: string | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'latency_ms', type: 'integer', nullable: true }) latencyMs!: number | null;
}
