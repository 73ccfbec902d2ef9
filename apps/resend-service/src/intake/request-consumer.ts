import { createKafkaClient } from '#common';
import { Injectable, Logger } from '@nestjs/common';
import { logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import { AppConfig } from '../config/app-config.js';
import { kafkaClientConfig } from '../kafka/kafka-client-config.js';
import { kafkaLogCreator } from '../kafka/kafka-log-creator.js';
import { consumedMessageFrom } from './consumed-message.js';
import { IntakeService } from './intake.service.js';
import { OffsetCommitter } from './offset-committer.js';

/** How long shutdown waits for the consumer to leave its group before going on without it. */
const DISCONNECT_WAIT_MS = 2_000;

/**
 * The Kafka side of the app, started once PostgreSQL and the topics are ready and stopped first
 * on shutdown, both by FlowLifecycle. It owns a kafkajs consumer in batch mode: each
 * fetched batch of a partition is recorded in chunks of INTAKE_BATCH_SIZE, one transaction each,
 * and a chunk's offsets are resolved only after it is committed in PostgreSQL; OffsetCommitter
 * commits resolved offsets to the group on a timer, not after each batch.
 * Key, value and headers reach intake as the bytes that arrived (dead letters copy them exactly).
 */
@Injectable()
export class RequestConsumer {
  private readonly log = new Logger(RequestConsumer.name);
  private consumer: Consumer | null = null;
  private offsets: OffsetCommitter | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly intake: IntakeService,
  ) {}

  /** Connects, joins the group and starts fetching; after a failure, stop() before trying again. */
  async start(): Promise<void> {
    this.consumer = this.createConsumer();
    this.offsets = this.createOffsetCommitter(this.consumer);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.config.topics.requested], fromBeginning: true });
    await this.consumer.run({
      // Partitions are independent (order matters only within one): record them in parallel.
      partitionsConsumedConcurrently: this.config.intake.concurrentPartitions,
      eachBatchAutoResolve: false,
      // OffsetCommitter commits, on a timer: kafkajs would commit after every batch.
      autoCommit: false,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    this.offsets.start();
  }

  /**
   * Commits the offsets of what is recorded, then stops fetching; a batch being recorded is given
   * up by IntakeService.stop() and redelivered.
   */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    const offsets = this.offsets;
    this.consumer = null;
    this.offsets = null;
    await offsets?.stop();
    if (!consumer) return;
    // With the broker unreachable, kafkajs reconnects for minutes before its disconnect returns:
    // shutdown does not wait for it (the group drops the member at its session timeout).
    const disconnected = consumer.disconnect().then(
      () => true,
      () => true,
    );
    const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), DISCONNECT_WAIT_MS).unref());
    if (!(await Promise.race([disconnected, timer]))) {
      this.log.warn(`the Kafka consumer did not disconnect within ${DISCONNECT_WAIT_MS} ms; going on with the shutdown`);
    }
  }

  private async consumeBatch(payload: EachBatchPayload) {
    const { batch } = payload;
    const messages = batch.messages.map((message) => consumedMessageFrom(batch.topic, batch.partition, message));
    if (messages.length > 0)
      this.log.debug(`fetched ${messages.length} messages of ${batch.topic}[${batch.partition}] from offset ${batch.firstOffset()}`);
    for (let start = 0; start < messages.length; start += this.config.intake.batchSize) {
      // After a rebalance the rest of the batch belongs to another member now.
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(start, start + this.config.intake.batchSize);
      await this.whileHeartbeating(payload, () => this.intake.receiveBatch(chunk, () => payload.heartbeat()));
      this.log.debug(`recorded ${batch.topic}[${batch.partition}] up to offset ${chunk[chunk.length - 1]!.offset}`);
      payload.resolveOffset(chunk[chunk.length - 1]!.offset);
      this.offsets?.recorded(batch.topic, batch.partition, chunk[chunk.length - 1]!.offset);
      await payload.heartbeat();
    }
  }

  /**
   * Heartbeats while a chunk is being recorded, not only between its tries: one statement may take
   * up to DATABASE_QUERY_TIMEOUT_MS, longer than the session timeout, and a member silent for that
   * long is dropped from the group (its partitions moved to another, which would wait for the same
   * database). Failed heartbeats are left to the next one and to the end of the batch, where a
   * member that was dropped after all learns it and joins again.
   */
  private async whileHeartbeating<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void payload.heartbeat().catch(() => undefined), this.config.kafka.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  private createOffsetCommitter(consumer: Consumer): OffsetCommitter {
    const offsets = new OffsetCommitter(consumer, this.config.kafka.offsetCommitIntervalMs);
    // A rebalance may take partitions away: commit what they recorded while they are still ours.
    consumer.on(consumer.events.REBALANCING, () => void offsets.commit());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => offsets.keepOnly(payload.memberAssignment));
    return offsets;
  }

  private createConsumer(): Consumer {
    const kafka = createKafkaClient({
      ...kafkaClientConfig(this.config),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(),
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
    this.log.log(`consuming ${this.config.topics.requested} as group ${this.config.kafka.groupId}`);
    return kafka.consumer({
      groupId: this.config.kafka.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.config.kafka.sessionTimeoutMs,
      heartbeatInterval: this.config.kafka.heartbeatIntervalMs,
      // kafkajs would otherwise give up (and stop consuming) after a few failed reconnects.
      retry: { initialRetryTime: 300, retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30_000 },
    });
  }
}
