import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { OutboxRelay } from '#outbox';
import { AppConfig } from '../config/app-config.js';
import { IntakeService } from '../intake/intake.service.js';
import { RequestConsumer } from '../intake/request-consumer.js';
import { SubmissionWorker } from '../submission/submission.worker.js';

/**
 * Starts the background parts of the flow once the app is up, and stops them in flow order on
 * shutdown: first the Kafka consumer (no new request; one that could not be recorded yet is
 * redelivered), then the worker finishes its calls in flight within SHUTDOWN_GRACE_MS, then the
 * relay publishes what they wrote.
 */
@Injectable()
export class FlowLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FlowLifecycle.name);

  constructor(
    private readonly config: AppConfig,
    private readonly worker: SubmissionWorker,
    private readonly relay: OutboxRelay,
    private readonly intake: IntakeService,
    private readonly consumer: RequestConsumer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.submission.enabled) this.worker.start();
    if (this.config.outbox.enabled) await this.relay.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`shutting down${signal ? ` on ${signal}` : ''}`);
    this.intake.stop();
    await this.consumer.close();
    const graceMs = this.config.shutdownGraceMs;
    await this.worker.stop(graceMs);
    await this.relay.stop(Math.min(graceMs, 5_000));
  }
}
