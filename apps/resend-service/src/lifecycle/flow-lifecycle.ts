import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { OutboxRelay } from '#outbox';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { IntakeService } from '../intake/intake.service.js';
import { KafkaAdmin } from '../kafka/kafka-admin.js';
import { RequestConsumer } from '../intake/request-consumer.js';
import { SubmissionWorker } from '../submission/submission.worker.js';
import { describeDatabaseTlsFailure } from '../database/postgres-connection.js';
import { KafkaStartupErrors } from '../kafka/kafka-startup-errors.js';
import { waitForDependency, type DependencyWait } from './wait-for-dependency.js';

/** A connection setting that waiting cannot fix: the process stops, with this one line. */
export class StartupMisconfiguration extends Error {}

/** What the flow still waits for, with the last error each gave (for /health). */
export type FlowState = { started: true } | { started: false; waitingFor: Record<string, string> };

/** On shutdown, how long to let a start-up step that is already under way (a connect) finish. */
const STARTUP_SETTLE_MS = 3_000;

/**
 * The one place that starts and stops the flow.
 *
 * Start: once the app listens (so /health/live answers and /health says what is missing), it
 * waits in the background for PostgreSQL (connect, migrations) and Kafka (topics), retrying
 * with backoff and logging why, then starts the submission worker, the outbox relay and the
 * Kafka consumer. Nothing here restarts the process: outages are waited out.
 *
 * Stop, in flow order: first the Kafka consumer (no new request; one that could not be
 * recorded yet is redelivered), then the worker finishes its calls in flight within
 * SHUTDOWN_GRACE_MS, then the relay publishes what they wrote. A stop during the start-up wait
 * ends the wait at once.
 */
@Injectable()
export class FlowLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FlowLifecycle.name);
  private readonly stopping = new AbortController();
  private readonly waitingFor = new Map<string, string>([
    ['database', 'not connected yet'],
    ['kafka', 'not connected yet'],
  ]);
  private startup: Promise<boolean> = Promise.resolve(false);
  private started = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly kafkaAdmin: KafkaAdmin,
    private readonly worker: SubmissionWorker,
    private readonly relay: OutboxRelay,
    private readonly intake: IntakeService,
    private readonly consumer: RequestConsumer,
  ) {}

  /** Not awaited by Nest's start-up: HTTP must listen while the dependencies are awaited. */
  onApplicationBootstrap(): void {
    this.startup = this.start().catch((error: unknown) => {
      if (error instanceof StartupMisconfiguration) throw error;
      this.logger.error(`the flow could not start: ${(error as Error).message}`);
      return false;
    });
    // main.ts stops the process on a misconfiguration (whenStarted rejects); nothing else to do here.
    this.startup.catch(() => undefined);
  }

  get state(): FlowState {
    return this.started ? { started: true } : { started: false, waitingFor: Object.fromEntries(this.waitingFor) };
  }

  /** Resolves true once the flow runs, false if it was stopped before; rejects with a StartupMisconfiguration. */
  whenStarted(): Promise<boolean> {
    return this.startup;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`shutting down${signal ? ` on ${signal}` : ''}`);
    this.stopping.abort();
    await Promise.race([this.startup, new Promise((resolve) => setTimeout(resolve, STARTUP_SETTLE_MS).unref())]);
    this.intake.stop();
    await this.consumer.stop();
    const graceMs = this.config.shutdownGraceMs;
    await this.worker.stop(graceMs);
    await this.relay.stop(Math.min(graceMs, 5_000));
  }

  private async start(): Promise<boolean> {
    const [database, kafka] = await Promise.all([this.waitForDatabase(), this.waitForKafka()]);
    if (!database || !kafka || this.stopping.signal.aborted) return false;
    if (this.config.submission.enabled) this.worker.start();
    if (this.config.outbox.enabled) await this.relay.start();
    if (!(await this.startConsumer())) return false;
    this.started = true;
    this.logger.log(`flow started: consuming ${this.config.topics.requested}`);
    return true;
  }

  /** Connects the DataSource (and runs the migrations when DATABASE_MIGRATIONS_RUN): see DatabaseModule. */
  private waitForDatabase(): Promise<boolean> {
    const misconfiguration = (error: unknown) => {
      const tlsFailure = describeDatabaseTlsFailure(error);
      return tlsFailure === null ? null : new StartupMisconfiguration(tlsFailure);
    };
    return this.waitFor(
      'database',
      'PostgreSQL',
      async () => {
        if (!this.dataSource.isInitialized) await this.dataSource.initialize();
      },
      misconfiguration,
    );
  }

  /** Topics must exist before the consumer subscribes; the service never relies on auto-creation. */
  private waitForKafka(): Promise<boolean> {
    const startupErrors = new KafkaStartupErrors(this.config.kafka);
    const misconfiguration = (error: unknown) => {
      const found = startupErrors.misconfiguration(error);
      return found === null ? null : new StartupMisconfiguration(found.message);
    };
    return this.waitFor('kafka', 'Kafka', () => this.kafkaAdmin.ensureTopics(), misconfiguration);
  }

  private startConsumer(): Promise<boolean> {
    return waitForDependency(
      {
        name: 'Kafka consumer',
        attempt: () => this.consumer.start(),
        afterFailure: () => this.consumer.stop(),
      },
      { signal: this.stopping.signal, logger: this.logger },
    );
  }

  private async waitFor(key: string, name: string, attempt: () => Promise<void>, fatal: DependencyWait['fatal']): Promise<boolean> {
    const ready = await waitForDependency(
      { name, attempt, fatal },
      { signal: this.stopping.signal, logger: this.logger, onFailure: (cause) => this.waitingFor.set(key, cause) },
    );
    if (ready) this.waitingFor.delete(key);
    return ready;
  }
}
