import type { Consumer, Kafka } from 'kafkajs';
import { waitFor } from '../support/wait-for.js';

/**
 * Reads the outcome topics of one arm from the beginning and keeps, per requestId, the first
 * outcome's record timestamp (LogAppendTime: when the broker appended it). A redelivered
 * outcome is counted once.
 */
export class OutcomeWatcher {
  private readonly outcomeAt = new Map<string, number>();
  private failures = 0;
  private lastAt = 0;

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, groupId: string, completedTopic: string, failedTopic: string): Promise<OutcomeWatcher> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    const watcher = new OutcomeWatcher(consumer);
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [completedTopic, failedTopic], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) watcher.record(batch.topic === failedTopic, message.value, Number(message.timestamp));
      },
    });
    await waitFor(`the outcome watcher ${groupId} to join its group`, () => joined, 60_000);
    return watcher;
  }

  private record(failed: boolean, value: Buffer | null, timestamp: number): void {
    const requestId = (JSON.parse(value?.toString() ?? '{}') as { requestId?: string }).requestId;
    if (!requestId || this.outcomeAt.has(requestId)) return;
    this.outcomeAt.set(requestId, timestamp);
    if (failed) this.failures += 1;
    if (timestamp > this.lastAt) this.lastAt = timestamp;
  }

  /** Distinct requests with an outcome. */
  get count(): number {
    return this.outcomeAt.size;
  }

  get failedCount(): number {
    return this.failures;
  }

  /** The latest outcome record timestamp seen (epoch ms). */
  get lastOutcomeAt(): number {
    return this.lastAt;
  }

  get firstOutcomeAt(): number {
    let first = Infinity;
    for (const time of this.outcomeAt.values()) if (time < first) first = time;
    return first;
  }

  /** Every distinct request's outcome time (epoch ms), in the order they were read. */
  outcomeTimes(): number[] {
    return [...this.outcomeAt.values()];
  }

  outcomeTimeOf(requestId: string): number | undefined {
    return this.outcomeAt.get(requestId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
