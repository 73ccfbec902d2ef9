import { Injectable } from '@nestjs/common';
import type { KafkaOptions } from '@nestjs/microservices';
import { ServerKafka, Transport, type KafkaParser } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { AppConfig } from '../config/app-config.js';
import { kafkaClientConfig } from './kafka-client-config.js';

/** The consumer side of the hybrid app: one consumer group shared by every instance. */
export function kafkaTransportOptions(config: AppConfig): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      // Our names exactly as configured (Nest would append "-server").
      postfixId: '',
      client: {
        ...kafkaClientConfig(config),
        logLevel: logLevel.WARN,
        retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
      },
      consumer: {
        groupId: config.kafka.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: config.kafka.sessionTimeoutMs,
        heartbeatInterval: config.kafka.heartbeatIntervalMs,
        // kafkajs would otherwise give up (and stop consuming) after a few failed reconnects.
        retry: { initialRetryTime: 300, retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30_000 },
      },
      subscribe: { fromBeginning: true },
      // Partitions are independent (order matters only within one): record them in parallel.
      run: { partitionsConsumedConcurrently: config.kafka.partitions },
      // Keep values as bytes: intake decodes them itself, so it can dead-letter what is not JSON.
      // (RequestConsumer keeps keys and headers as bytes too.)
      parser: { keepBinary: true },
      producerOnlyMode: false,
    },
  };
}

/**
 * The Kafka consumer of the hybrid app (connected as its transport strategy), as a provider so
 * that FlowLifecycle can stop it first on shutdown: Nest itself closes microservices only after
 * every beforeApplicationShutdown hook, i.e. it would keep taking new requests while the worker
 * drains. Closing twice is harmless: the second close finds nothing to disconnect.
 *
 * It hands intake each record's key and headers as the bytes that arrived: Nest's parser decodes
 * them as UTF-8 (replacing bytes that are not) and re-serialises values that look like JSON,
 * even with keepBinary, so a dead-letter copy would not carry the original key and headers.
 */
@Injectable()
export class RequestConsumer extends ServerKafka {
  constructor(config: AppConfig) {
    super(kafkaTransportOptions(config).options!);
    this.parser = bytesAsReceived;
  }
}

const bytesAsReceived = {
  parse: (record: { headers?: Record<string, unknown> }) => ({ ...record, headers: { ...record.headers } }),
} as unknown as KafkaParser;
