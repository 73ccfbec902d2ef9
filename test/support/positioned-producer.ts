import { createKafkaClient } from '#common';
import { logLevel, type IHeaders, type Producer } from 'kafkajs';

export interface RawMessage {
  key: Buffer | string | null;
  /** null: a tombstone. */
  value: Buffer | string | null;
  headers?: IHeaders;
  /** The partition to write to; every message names one, so that its offset is known. */
  partition: number;
}

export interface Position {
  partition: number;
  offset: number;
}

/** The largest request the producer sends at once; the broker refuses record batches over ~1 MB. */
const MAX_REQUEST_BYTES = 600 * 1024;

/**
 * Produces raw messages (any bytes, tombstones, any headers) to chosen partitions and returns
 * the offset each one got, so that a test can find every message again in the audit tables.
 */
export class PositionedProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(brokers: string) {
    const kafka = createKafkaClient({ clientId: 'e2e-positioned', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  }

  /** Sends in order (chunked by size) and returns each message's position, in the order given. */
  async send(topic: string, messages: RawMessage[]): Promise<Position[]> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    const positions: Position[] = [];
    let chunk: RawMessage[] = [];
    let chunkBytes = 0;
    for (const message of messages) {
      const bytes = sizeOf(message);
      if (chunk.length > 0 && chunkBytes + bytes > MAX_REQUEST_BYTES) {
        positions.push(...(await this.sendChunk(topic, chunk)));
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(message);
      chunkBytes += bytes;
    }
    if (chunk.length > 0) positions.push(...(await this.sendChunk(topic, chunk)));
    return positions;
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }

  /** One request: the messages of one partition form one record batch, so their offsets follow its base offset. */
  private async sendChunk(topic: string, chunk: RawMessage[]): Promise<Position[]> {
    const metadata = await this.producer.send({ topic, acks: -1, messages: chunk });
    const baseOffsets = new Map(metadata.map((entry) => [entry.partition, Number(entry.baseOffset)]));
    const seen = new Map<number, number>();
    return chunk.map((message) => {
      const index = seen.get(message.partition) ?? 0;
      seen.set(message.partition, index + 1);
      const base = baseOffsets.get(message.partition);
      if (base === undefined) throw new Error(`no offset reported for partition ${message.partition}`);
      return { partition: message.partition, offset: base + index };
    });
  }
}

function sizeOf(message: RawMessage): number {
  const headerBytes = Object.entries(message.headers ?? {}).reduce(
    (total, [name, value]) => total + name.length + (value === undefined ? 0 : String(value).length),
    0,
  );
  return (message.key?.length ?? 0) + (message.value?.length ?? 0) + headerBytes + 64;
}
