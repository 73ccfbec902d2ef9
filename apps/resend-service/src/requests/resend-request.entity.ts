import type { ResendAiRequest } from '#itniotech';
import type { ErrorCategory } from '#contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../database/bigint-as-number.js';

/**
 * pending     recorded, waiting for its (next) provider call
 * in_progress claimed by a worker under a lease
 * completed   the provider created the task (provider_task_id)
 * failed      final failure; a new request for the same keyId is allowed
 * duplicate   a repeat of a live or completed request with the same payload; never sent
 */
export type RequestStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'duplicate';

/** Statuses that hold the keyId: a second request for it is a duplicate (enforced by a unique index). */
export const LIVE_STATUSES: readonly RequestStatus[] = ['pending', 'in_progress', 'completed'];

/** One row per consumed `campaign.resend.requested` message that carried a JSON object. */
@Entity('resend_request')
export class ResendRequest {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'request_id', type: 'text' }) requestId!: string;
  @Column({ name: 'key_id', type: 'bigint', nullable: true, transformer: bigintAsNumber }) keyId!: number | null;
  @Column({ name: 'task_name', type: 'text', nullable: true }) taskName!: string | null;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
  @Column({ type: 'text' }) status!: RequestStatus;
  /** The message value as received (unknown fields included). */
  @Column({ type: 'jsonb' }) payload!: object;
  /** The validated, normalised body the provider is (or would be) sent. */
  @Column({ name: 'provider_body', type: 'jsonb', nullable: true }) providerBody!: ResendAiRequest | null;
  @Column({ name: 'body_fingerprint', type: 'text', nullable: true }) bodyFingerprint!: string | null;
  @Column({ name: 'provider_task_id', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  providerTaskId!: number | null;
  @Column({ name: 'resolved_by_lookup', type: 'boolean', default: false }) resolvedByLookup!: boolean;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'error_category', type: 'text', nullable: true }) errorCategory!: ErrorCategory | null;
  @Column({ name: 'duplicate_of', type: 'uuid', nullable: true }) duplicateOf!: string | null;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  /** True while a provider call may have created the task without us knowing: look it up before sending again. */
  @Column({ name: 'outcome_unknown', type: 'boolean', default: false }) outcomeUnknown!: boolean;
  /** Set once any call's outcome was unknown: a later -41/-20 then most likely means our own task exists. */
  @Column({ name: 'had_unknown_outcome', type: 'boolean', default: false }) hadUnknownOutcome!: boolean;
  /** Set (by a trigger) once a repeat waits for this request's outcome: ending it then answers its repeats. */
  @Column({ name: 'has_repeats', type: 'boolean', default: false }) hasRepeats!: boolean;
  @Column({ name: 'lookup_failures', type: 'integer', default: 0 }) lookupFailures!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt!: Date | null;
  @Column({ name: 'kafka_topic', type: 'text' }) kafkaTopic!: string;
  @Column({ name: 'kafka_partition', type: 'integer' }) kafkaPartition!: number;
  @Column({ name: 'kafka_offset', type: 'bigint', transformer: bigintAsNumber }) kafkaOffset!: number;
  /** SHA-256 of the record's timestamp, key, value and headers: the position may be used again by a recreated topic. Null on rows from before it was kept. */
  @Column({ name: 'kafka_record_fingerprint', type: 'bytea', nullable: true }) kafkaRecordFingerprint!: Buffer | null;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt!: Date;
  @Column({ name: 'first_attempt_at', type: 'timestamptz', nullable: true }) firstAttemptAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
  /** W3C traceparent of the span that recorded the request: the trace its later spans and its outcome continue. */
  @Column({ name: 'trace_parent', type: 'text', nullable: true }) traceParent!: string | null;
  @Column({ name: 'trace_state', type: 'text', nullable: true }) traceState!: string | null;
}
