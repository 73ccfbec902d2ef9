import { Logger } from '@nestjs/common';
import { backoffDelayMs } from '#common';

/**
 * Whether publishing to Kafka fails, as the relay's batches and the writers' publications see it:
 * the relay backs off while it does, /health reports it, and writers leave their rows to the relay.
 */
export class PublishFailures {
  private readonly logger = new Logger('OutboxRelay');
  private consecutive = 0;
  private lastError: string | null = null;

  get failing(): boolean {
    return this.consecutive > 0;
  }

  /** The last publishing error, or null once a batch went through again. */
  get last(): string | null {
    return this.lastError;
  }

  batchSucceeded(): void {
    if (this.consecutive > 0) this.logger.log('publishing to Kafka again');
    this.consecutive = 0;
    this.lastError = null;
  }

  batchFailed(message: string): void {
    this.consecutive += 1;
    this.lastError = message;
    // One line per failure while the delay grows: bounded noise during an outage.
    this.logger.warn(`outbox publish failed (${this.consecutive} in a row): ${message}`);
  }

  /**
   * A writer's publication failed: the relay's state says so before the rows do (/health, and no
   * more publish-on-commit until a batch goes through), as if the relay had failed once itself.
   * Not counted again while failing: writers failing side by side must not lengthen the relay's
   * back-off, which its own tries set.
   */
  writerFailed(reason: string): void {
    if (this.consecutive > 0) return;
    this.consecutive = 1;
    this.lastError = reason;
    this.logger.warn(`outbox publish failed (on commit): ${reason}`);
  }

  /** How long the relay sleeps before its next batch: its poll interval, or a back-off while failing. */
  nextDelayMs(pollIntervalMs: number): number {
    if (this.consecutive === 0) return pollIntervalMs;
    return backoffDelayMs(this.consecutive, { baseMs: 500, maxMs: 30_000 });
  }
}
