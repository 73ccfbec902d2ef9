import { createKafkaClient } from '#common';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { waitFor } from './wait-for.js';

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as the bytes on the wire (the last one when a header repeats). */
  headers: Record<string, Buffer>;
}

/**
 * Reads topics from their beginning and keeps every record as raw bytes (keys and headers
 * included), to check that a copy is byte-for-byte the original.
 */
export class RawTopicWatcher {
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  readonly records: RawRecord[] = [];

  constructor(brokers: string) {
    this.kafka = createKafkaClient({ clientId: 'e2e-raw-watch', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  }

  async watch(topics: string[]): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `e2e-raw-watch-${randomUUID()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    let joined = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, Buffer> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(value) ? value[value.length - 1] : value;
          if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last : Buffer.from(last);
        }
        this.records.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers });
      },
    });
    await waitFor('the raw watcher to join its group', () => joined, 30_000);
  }

  header(record: RawRecord, name: string): string | undefined {
    return record.headers[name]?.toString('utf8');
  }

  /** The dead-letter copy of the message at this position of the source topic, once it arrived. */
  waitForCopyOf(topic: string, source: { topic: string; partition: number; offset: number }, timeoutMs = 60_000) {
    return waitFor(
      `the dead-letter copy of ${source.topic}[${source.partition}]@${source.offset}`,
      () =>
        this.records.find(
          (record) =>
            record.topic === topic &&
            this.header(record, 'dlq_source_topic') === source.topic &&
            this.header(record, 'dlq_source_partition') === String(source.partition) &&
            this.header(record, 'dlq_source_offset') === String(source.offset),
        ),
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
