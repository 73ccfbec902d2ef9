import { Injectable, Logger } from '@nestjs/common';
import { backoffDelayMs, failpoint } from '#common';
import { isConnectionError, isTransientDatabaseError } from '../database/transient-errors.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { PendingWorkSignal } from '../requests/pending-work-signal.js';
import type { ConsumedMessage } from './consumed-message.js';
import { RequestRecorder } from './request-recorder.js';

/** Conflicts between concurrent writers resolve on the next try; a few tries are plenty. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * Records each consumed message before its offset may be committed. A database outage is
 * waited out here (with backoff and consumer heartbeats) instead of being thrown to the Kafka
 * transport, whose default would restart the consumer in a tight loop; data the database
 * refuses is dead-lettered, so no message can stall its partition.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private stopping = false;

  constructor(
    private readonly recorder: RequestRecorder,
    private readonly pendingWork: PendingWorkSignal,
    private readonly metrics: FlowMetrics,
  ) {}

  async receive(message: ConsumedMessage, heartbeat: () => Promise<void>): Promise<void> {
    let failures = 0;
    let conflicts = 0;
    for (;;) {
      try {
        const result = await this.recordOnce(message);
        this.metrics.messageRecorded(result);
        if (result === 'pending') this.pendingWork.wake();
        await failpoint('after_request_recorded');
        return;
      } catch (error) {
        if (this.stopping) throw new Error('shutting down before the message was recorded; it will be redelivered');
        conflicts = isConnectionError(error) ? 0 : conflicts + 1;
        if (conflicts > MAX_CONFLICT_RETRIES) {
          // Not an outage, and retrying did not resolve it: keep the message as a dead letter rather than stall.
          const stored = await this.recorder.recordUnstorable(message, error).then(
            () => true,
            () => false,
          );
          if (stored) return this.metrics.messageRecorded('dead_lettered');
        }
        this.logRetry(message, error, failures);
        failures += 1;
        await this.waitWithHeartbeats(backoffDelayMs(failures, { baseMs: 200, maxMs: 10_000 }), heartbeat);
        if (this.stopping) throw new Error('shutting down before the message was recorded; it will be redelivered');
      }
    }
  }

  /**
   * Called first on shutdown (FlowLifecycle), before the consumer is closed: a message still
   * waiting for the database is given up (not committed, so it is redelivered) instead of
   * holding the consumer, and the shutdown, until the database is back.
   */
  stop(): void {
    this.stopping = true;
  }

  private async recordOnce(message: ConsumedMessage) {
    try {
      return await this.recorder.record(message);
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      return this.recorder.recordUnstorable(message, error);
    }
  }

  private logRetry(message: ConsumedMessage, error: unknown, failures: number): void {
    // First failure and then every tenth: an outage must not flood the log.
    if (failures % 10 === 0) {
      this.logger.warn(
        `cannot record ${message.topic}[${message.partition}]@${message.offset} yet (${(error as Error).message}); retrying`,
      );
    }
  }

  private async waitWithHeartbeats(delayMs: number, heartbeat: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + delayMs;
    while (Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deadline - Date.now())));
      await heartbeat().catch(() => undefined);
    }
  }
}
