import { createKafkaClient } from '#common';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaConfig, type Producer } from 'kafkajs';
import { waitFor } from './wait-for.js';

export interface ReceivedMessage {
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** The value parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Produces requests and records everything that appears on the outcome topics, as a downstream consumer would. */
export class KafkaTestClient {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  readonly received: ReceivedMessage[] = [];

  /** `connection`: TLS/SASL settings for a secured broker. */
  constructor(brokers: string, connection: Omit<KafkaConfig, 'brokers'> = {}) {
    this.kafka = createKafkaClient({ clientId: 'e2e-tests', brokers: brokers.split(','), logLevel: logLevel.NOTHING, ...connection });
  }

  async send(topic: string, messages: { key?: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders }[]) {
    this.producer ??= this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await this.producer.send({ topic, acks: -1, messages });
  }

  sendJson(topic: string, value: object, key?: string) {
    const { keyId } = value as { keyId?: unknown };
    const keyOfValue = typeof keyId === 'number' || typeof keyId === 'string' ? String(keyId) : '';
    return this.send(topic, [{ key: key ?? keyOfValue, value: JSON.stringify(value) }]);
  }

  /** Starts reading the topics from their beginning with a group of its own. */
  async watch(topics: string[]): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `e2e-watch-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    let assigned = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      assigned = true;
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        this.received.push({
          topic,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? ''])),
          json: parseJson(message.value),
        });
      },
    });
    await waitFor('the test consumer to join its group', () => assigned, 30_000);
  }

  messagesOn(topic: string, filter: (message: ReceivedMessage) => boolean = () => true): ReceivedMessage[] {
    return this.received.filter((message) => message.topic === topic && filter(message));
  }

  /** Waits until at least `count` messages on `topic` match, and returns them. */
  waitForMessages(topic: string, filter: (message: ReceivedMessage) => boolean, count = 1, timeoutMs = 30_000) {
    return waitFor(
      `${count} message(s) on ${topic}`,
      () => {
        const found = this.messagesOn(topic, filter);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

function parseJson(value: Buffer | null): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}
