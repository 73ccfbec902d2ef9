import { Injectable } from '@nestjs/common';
import { ERROR_CATEGORIES, type ErrorCategory } from '#contracts';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxMessage } from '#outbox';
import { AppConfig } from '../config/app-config.js';
import type { DatabaseErrorKind } from '../database/database-errors.js';
import type { RecordingResult } from '../intake/intake-decision.js';

export type ProviderCallKind = 'submit' | 'lookup';
/** The parts of the flow that write to the database and wait out its failures. */
export type DatabaseStage = 'intake' | 'submission';

const DATABASE_STAGES: DatabaseStage[] = ['intake', 'submission'];
const DATABASE_ERROR_KINDS: DatabaseErrorKind[] = ['outage', 'conflict', 'bad_data', 'refused', 'bug'];

const RECORDING_RESULTS: RecordingResult[] = ['pending', 'redelivery', 'duplicate', 'rejected', 'dead_lettered'];
const PROVIDER_OUTCOMES: Record<ProviderCallKind, string[]> = {
  submit: ['accepted', 'rejected', 'http_error', 'transport_error'],
  lookup: ['found', 'not_found', 'failed'],
};

/**
 * The flow's counters, one intention-revealing method per event. The flow calls these and
 * nothing else of prom-client. Events written inside a transaction (outcomes, dead letters,
 * retries) are counted only once that transaction has committed.
 */
@Injectable()
export class FlowMetrics {
  private readonly messagesConsumed: Counter<'result'>;
  private readonly outcomes: Counter<'topic' | 'category'>;
  private readonly deadLetters: Counter;
  private readonly retriesScheduled: Counter;
  private readonly providerCalls: Counter<'kind' | 'outcome'>;
  private readonly providerCallDuration: Histogram<'kind'>;
  private readonly providerCallsInFlight: Gauge<'kind'>;
  private readonly databaseFailures: Counter<'stage' | 'kind'>;

  constructor(registry: Registry, config: AppConfig) {
    const registers = [registry];
    this.messagesConsumed = new Counter({
      name: 'resend_relay_messages_consumed_total',
      help: 'Requested messages recorded, by what recording did with them.',
      labelNames: ['result'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'resend_relay_outcomes_total',
      help: 'Outcome events committed to the outbox, by topic and error category (none for completed).',
      labelNames: ['topic', 'category'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'resend_relay_dead_letters_total',
      help: 'Messages committed as dead letters (forwarded to the dead-letter topic).',
      registers,
    });
    this.retriesScheduled = new Counter({
      name: 'resend_relay_retries_scheduled_total',
      help: 'Requests put back to pending for a later attempt or lookup.',
      registers,
    });
    this.providerCalls = new Counter({
      name: 'resend_relay_provider_calls_total',
      help: 'Calls to the provider API, by kind (submit, lookup) and outcome.',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.providerCallDuration = new Histogram({
      name: 'resend_relay_provider_call_duration_seconds',
      help: 'Duration of provider API calls.',
      labelNames: ['kind'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.providerCallsInFlight = new Gauge({
      name: 'resend_relay_provider_calls_in_flight',
      help: 'Provider API calls started and not yet answered.',
      labelNames: ['kind'],
      registers,
    });
    this.databaseFailures = new Counter({
      name: 'resend_relay_database_failures_total',
      help: 'Database calls of a stage that failed, by what the failure means (database/database-errors.ts); only bad_data may dead-letter a message.',
      labelNames: ['stage', 'kind'],
      registers,
    });
    this.startAtZero(config);
  }

  // Each counter is called once the transaction that wrote what it counts has committed.

  messageRecorded(result: RecordingResult, count = 1): void {
    if (count > 0) this.messagesConsumed.inc({ result }, count);
  }

  /** Outcome events (completed and failed) among committed outbox messages, by topic and error category. */
  outcomesWritten(messages: readonly OutboxMessage[]): void {
    for (const message of messages) {
      const category = (message.value as { error?: { category?: ErrorCategory } }).error?.category ?? null;
      this.outcomes.inc({ topic: message.topic, category: category ?? 'none' });
    }
  }

  deadLettered(count = 1): void {
    if (count > 0) this.deadLetters.inc(count);
  }

  retryScheduled(count = 1): void {
    if (count > 0) this.retriesScheduled.inc(count);
  }

  /** A database call failed; the stage waits it out and tries again (or, for bad_data, narrows it down to the message). */
  databaseFailed(stage: DatabaseStage, kind: DatabaseErrorKind): void {
    this.databaseFailures.inc({ stage, kind });
  }

  /** Runs one provider call, counting it in flight while it runs and timing it. */
  async providerCall<T extends { kind: string }>(kind: ProviderCallKind, call: () => Promise<T>): Promise<T> {
    this.providerCallsInFlight.inc({ kind });
    const started = performance.now();
    let outcome = 'error';
    try {
      const result = await call();
      outcome = result.kind;
      return result;
    } finally {
      this.providerCallsInFlight.dec({ kind });
      this.providerCallFinished(kind, outcome, (performance.now() - started) / 1000);
    }
  }

  providerCallFinished(kind: ProviderCallKind, outcome: string, seconds: number): void {
    this.providerCalls.inc({ kind, outcome });
    this.providerCallDuration.observe({ kind }, seconds);
  }

  /** Every expected series exists from the start, so that rates and alerts see a 0 before the first event. */
  private startAtZero(config: AppConfig): void {
    for (const result of RECORDING_RESULTS) this.messagesConsumed.inc({ result }, 0);
    this.outcomes.inc({ topic: config.topics.completed, category: 'none' }, 0);
    for (const category of ERROR_CATEGORIES) this.outcomes.inc({ topic: config.topics.failed, category }, 0);
    for (const [kind, outcomes] of Object.entries(PROVIDER_OUTCOMES)) {
      for (const outcome of outcomes) this.providerCalls.inc({ kind, outcome }, 0);
      this.providerCallDuration.zero({ kind });
      this.providerCallsInFlight.set({ kind }, 0);
    }
    this.deadLetters.inc(0);
    this.retriesScheduled.inc(0);
    for (const stage of DATABASE_STAGES) for (const kind of DATABASE_ERROR_KINDS) this.databaseFailures.inc({ stage, kind }, 0);
  }
}
