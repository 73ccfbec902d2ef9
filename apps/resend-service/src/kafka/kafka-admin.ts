import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createKafkaClient, kafkaAuthorizationFailure } from '#common';
import { logLevel, type Admin } from 'kafkajs';
import { AppConfig } from '../config/app-config.js';
import { kafkaLogCreator } from './kafka-log-creator.js';
import { kafkaClientConfig } from './kafka-client-config.js';

/**
 * Creates the service's topics when they are missing, before the consumer subscribes:
 * the service never relies on broker-side auto-creation. Also answers the Kafka health check.
 */
@Injectable()
export class KafkaAdmin implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaAdmin.name);
  private readonly admin: Admin;
  private connected: Promise<void> | null = null;

  constructor(private readonly config: AppConfig) {
    const kafka = createKafkaClient({
      ...kafkaClientConfig(config, 'admin'),
      logLevel: logLevel.NOTHING,
      logCreator: kafkaLogCreator(),
      retry: { retries: 1 },
    });
    this.admin = kafka.admin();
  }

  async ensureTopics(): Promise<void> {
    await this.connect();
    const wanted = Object.values(this.config.topics);
    const existing = new Set(await this.admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.config.kafka.partitions,
          replicationFactor: this.config.kafka.replicationFactor,
        })),
      });
    } catch (error) {
      // Without CREATE (least privilege: topics made by the platform team), or without DESCRIBE
      // on a topic that does exist, the service still starts: a topic it cannot write to keeps
      // its events in the outbox and turns /health red, which names the topic.
      const denied = kafkaAuthorizationFailure(error);
      if (!denied) throw error;
      this.logger.warn(`not allowed to create topics ${missing.join(', ')} (${denied}); assuming they exist`);
      return;
    }
    this.logger.log(`created topics ${missing.join(', ')}`);
  }

  /** Succeeds when the cluster answers a metadata request; used by the readiness check. */
  async describeCluster(): Promise<{ brokers: number; controller: number | null }> {
    await this.connect();
    const cluster = await this.admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }

  /**
   * Per partition of `topic`: messages not yet committed by the consumer group (high watermark
   * minus committed offset; from the low watermark when the group has committed nothing).
   */
  async consumerLag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]> {
    await this.connect();
    const [watermarks, [committed]] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committedBy = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return watermarks.map(({ partition, high, low }) => {
      const offset = committedBy.get(partition) ?? -1;
      return { partition, lag: Math.max(0, Number(high) - (offset >= 0 ? offset : Number(low))) };
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
  }
}
