import type { KafkaMessage } from 'kafkajs';
import { recordFingerprint } from './record-fingerprint.js';

/** A Kafka record as it arrived: key and value as the exact bytes, headers as UTF-8 text (they are stored as jsonb). */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /**
   * Of the record's timestamp, key, value and headers (recordFingerprint): with the position, what
   * names this record — the position alone is used again when the topic is deleted and created again.
   */
  fingerprint: string;
}

export function consumedMessageFrom(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, headerText(value)])),
    fingerprint: recordFingerprint(message),
  };
}

/** A header may repeat (an array); its values are concatenated into one text. */
function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string {
  if (value === undefined) return '';
  const parts = Array.isArray(value) ? value : [value];
  return Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part, 'utf8')))).toString('utf8');
}
