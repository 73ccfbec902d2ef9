import type { KafkaContext } from '@nestjs/microservices';

/** A Kafka record as it arrived, with the value's exact bytes (the transport keeps them binary). */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function consumedMessageFrom(context: KafkaContext): ConsumedMessage {
  const message = context.getMessage();
  return {
    topic: context.getTopic(),
    partition: context.getPartition(),
    offset: message.offset,
    key: toBuffer(message.key),
    value: toBuffer(message.value),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, toBuffer(value)?.toString('utf8') ?? '']),
    ),
  };
}

/**
 * Keys and values arrive as bytes (RequestConsumer bypasses Nest's decoding); headers become
 * UTF-8 text, as they are stored (jsonb). Decoded strings and objects are turned back into bytes.
 */
function toBuffer(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Array.isArray(value)) return Buffer.concat(value.map((item) => toBuffer(item) ?? Buffer.alloc(0)));
  return Buffer.from(JSON.stringify(value), 'utf8');
}
