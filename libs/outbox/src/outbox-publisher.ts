import { createKafkaClient, kafkaAuthorizationFailure } from '#common';
import { logLevel, type KafkaConfig, type Producer } from 'kafkajs';

export interface OutboxRecord {
  id: string;
  topic: string;
  messageKey: Buffer | null;
  messageValue: Buffer;
  headers: Record<string, string>;
  /** The request an outcome event reports on; null for other messages. */
  requestId?: string | null;
  /** The W3C trace context the publication continues (outbox_event.trace_parent / trace_state); null: not traced. */
  traceParent?: string | null;
  traceState?: string | null;
}

/** Where the relay sends outbox rows. Resolves only once every record is durably accepted. */
export interface OutboxPublisher {
  publish(records: OutboxRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** The kafkajs connection settings (brokers, client id, TLS, SASL, timeouts); log level and retry are the publisher's. */
export type KafkaPublisherOptions = KafkaConfig;

/** Publishes with acks from all in-sync replicas; connects lazily and again after a failure. */
export class KafkaOutboxPublisher implements OutboxPublisher {
  private readonly producer: Producer;
  private connected = false;

  constructor(options: KafkaPublisherOptions) {
    const kafka = createKafkaClient({
      ...options,
      // kafkajs's own lines: through options.logCreator when given, else not at all.
      logLevel: options.logCreator ? logLevel.WARN : logLevel.NOTHING,
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
      throw explainRefusal(error, records);
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

/**
 * A missing ACL reads as "Not authorized to access topics" without saying which or what to do;
 * the relay shows this message in /health and in the outbox rows' last_error.
 */
function explainRefusal(error: unknown, records: OutboxRecord[]): unknown {
  const denied = kafkaAuthorizationFailure(error);
  if (denied === undefined) return error;
  const topics = [...new Set(records.map((record) => record.topic))].join(', ');
  return new Error(
    `Kafka denied publishing to ${topics} (${denied}): the service's Kafka user needs WRITE on these topics; ` +
      'the events stay in the outbox until it is granted',
    { cause: error },
  );
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
