import { Logger } from '@nestjs/common';
import type { Consumer, TopicPartitionOffset } from 'kafkajs';

/** How long shutdown waits for the last commit before disconnecting anyway (then: redelivered). */
const FINAL_COMMIT_WAIT_MS = 5_000;

/**
 * Commits the consumer group's offsets of recorded messages every KAFKA_OFFSET_COMMIT_INTERVAL_MS,
 * when a rebalance starts and at shutdown — instead of after every batch, as kafkajs would: its
 * fetch loop fetches again only after the last fetch's batches are handled, commit included, so a
 * commit round trip per batch delayed every message behind it.
 *
 * Only offsets of messages already committed in PostgreSQL are ever handed in here, so a commit
 * that comes late or never (a crash) only means messages are read again, and intake recognises
 * those as redeliveries. A commit still retrying across a rebalance may land for a partition that
 * moved to another member, moving its offset back: again only redeliveries, never a loss.
 */
export class OffsetCommitter {
  private readonly log = new Logger(OffsetCommitter.name);
  /** Per partition, the next offset to read, not committed yet. */
  private readonly pending = new Map<string, TopicPartitionOffset>();
  private timer: NodeJS.Timeout | null = null;
  private committing: Promise<void> | null = null;
  private failures = 0;

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.commit(), this.intervalMs);
    this.timer.unref();
  }

  /** The message at `offset` and every one before it in its partition are recorded. */
  recorded(topic: string, partition: number, offset: string): void {
    this.pending.set(partitionKey(topic, partition), { topic, partition, offset: (BigInt(offset) + 1n).toString() });
  }

  /** After joining the group: the partitions assigned elsewhere now are their new owner's to commit. */
  keepOnly(assignment: Record<string, number[]>): void {
    for (const [key, { topic, partition }] of this.pending) {
      if (!assignment[topic]?.includes(partition)) this.pending.delete(key);
    }
  }

  /** Commits what is pending; while a commit is under way, resolves with that one. */
  commit(): Promise<void> {
    if (this.committing) return this.committing;
    if (this.pending.size === 0) return Promise.resolve();
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.committing = this.consumer
      .commitOffsets(offsets)
      .then(() => this.committed())
      .catch((error: unknown) => this.failed(offsets, error))
      .finally(() => (this.committing = null));
    return this.committing;
  }

  /** Stops the timer and commits what is left, waiting a few seconds at most. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const final = (async () => {
      await this.committing;
      await this.commit();
    })();
    await Promise.race([final, new Promise((resolve) => setTimeout(resolve, FINAL_COMMIT_WAIT_MS).unref())]);
  }

  private committed(): void {
    if (this.failures > 0)
      this.log.log(`offsets committed again, after ${this.failures} failed ${this.failures === 1 ? 'commit' : 'commits'}`);
    this.failures = 0;
  }

  /** Puts the offsets back for the next commit, unless a later one of the same partition came meanwhile. */
  private failed(offsets: TopicPartitionOffset[], error: unknown): void {
    for (const offset of offsets) {
      const key = partitionKey(offset.topic, offset.partition);
      if (!this.pending.has(key)) this.pending.set(key, offset);
    }
    this.failures += 1;
    // One line when commits start failing, not one per interval.
    if (this.failures === 1) this.log.warn(`could not commit offsets (kept for the next commit): ${(error as Error).message}`);
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
