import { Kafka, logLevel, type logCreator, type Producer } from 'kafkajs';

export interface OutboxRecord {
  id: string;
  topic: string;
  messageKey: Buffer | null;
  messageValue: Buffer;
  headers: Record<string, string>;
}

/** Where the relay sends outbox rows. Resolves only once every record is durably accepted. */
export interface OutboxPublisher {
  publish(records: OutboxRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaPublisherOptions {
  brokers: string[];
  clientId: string;
  /** Where kafkajs's own log lines go (kafkajs's console format when not given). */
  logCreator?: logCreator;
}

/** Publishes with acks from all in-sync replicas; connects lazily and again after a failure. */
export class KafkaOutboxPublisher implements OutboxPublisher {
  private readonly producer: Producer;
  private connected = false;

  constructor(options: KafkaPublisherOptions) {
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      logCreator: options.logCreator,
      retry: { retries: 2, initialRetryTime: 200 },
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  async publish(records: OutboxRecord[]): Promise<void> {
    await this.ensureConnected();
    try {
      await this.producer.sendBatch({ acks: -1, topicMessages: groupByTopic(records) });
    } catch (error) {
      // A fresh connection on the next try: kafkajs may hold stale broker metadata after an outage.
      this.connected = false;
      await this.producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }

  private async ensureConnected(): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
  }
}

function groupByTopic(records: OutboxRecord[]) {
  const byTopic = new Map<string, { key: Buffer | null; value: Buffer; headers: Record<string, string> }[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic) ?? [];
    messages.push({ key: record.messageKey, value: record.messageValue, headers: record.headers });
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
