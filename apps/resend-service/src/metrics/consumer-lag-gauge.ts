import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { KafkaAdmin } from '../kafka/kafka-admin.js';
import { withTimeout } from './with-timeout.js';

/** Asking the brokers on every scrape is wasteful; a few seconds old is recent enough for alerts. */
const CACHE_MS = 5_000;
const KAFKA_TIMEOUT_MS = 2_000;

/**
 * resend_relay_consumer_lag{topic,partition}: the consumer group's committed offsets against
 * the requested topic's high watermarks, from the Kafka admin API. While Kafka cannot be asked,
 * the gauge keeps its last values.
 */
@Injectable()
export class ConsumerLagGauge {
  private readonly logger = new Logger(ConsumerLagGauge.name);
  private cached: { at: number; value: Promise<void> } | null = null;

  constructor(
    registry: Registry,
    private readonly config: AppConfig,
    private readonly admin: KafkaAdmin,
  ) {
    const gauge: Gauge<'topic' | 'partition'> = new Gauge({
      name: 'resend_relay_consumer_lag',
      help: 'Requested messages not yet committed by the consumer group, per partition.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect: () => this.refresh(gauge),
    });
  }

  private refresh(gauge: Gauge<'topic' | 'partition'>): Promise<void> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.value;
    const topic = this.config.topics.requested;
    const value = withTimeout(this.admin.consumerLag(this.config.kafka.groupId, topic), KAFKA_TIMEOUT_MS, 'consumer lag').then(
      (partitions) => {
        for (const { partition, lag } of partitions) gauge.set({ topic, partition: String(partition) }, lag);
      },
      (error: unknown) => this.logger.debug(`consumer lag not refreshed: ${(error as Error).message}`),
    );
    this.cached = { at: Date.now(), value };
    return value;
  }
}
