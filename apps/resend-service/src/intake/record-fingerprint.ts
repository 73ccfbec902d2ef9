import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';

/**
 * What tells one Kafka record from another at the same position: SHA-256 (hex) of the record's
 * timestamp, key, value and headers as they are in the log. Read again (a redelivery, a replay by
 * another group), a record has the same fingerprint; a record written later at a reused position
 * (the topic deleted and created again, its offsets starting at 0) has another — unless it repeats
 * the old record byte for byte in the same millisecond. The parts are hashed behind their count
 * and lengths, so that no two different records hash the same bytes; an absent key or value
 * (length -1) differs from an empty one. One hash update of one buffer: it runs for every message.
 * Never change what goes in: a record recorded before would no longer be recognised.
 */
export function recordFingerprint(record: Pick<KafkaMessage, 'timestamp' | 'key' | 'value' | 'headers'>): string {
  const parts: (Buffer | null)[] = [Buffer.from(record.timestamp ?? '', 'utf8'), record.key ?? null, record.value ?? null];
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    for (const part of Array.isArray(value) ? value : [value]) {
      parts.push(Buffer.from(name, 'utf8'), part === undefined ? null : Buffer.isBuffer(part) ? part : Buffer.from(part, 'utf8'));
    }
  }
  const lengths = Buffer.allocUnsafe(4 * (parts.length + 1));
  lengths.writeInt32BE(parts.length, 0);
  parts.forEach((part, index) => lengths.writeInt32BE(part === null ? -1 : part.length, 4 * (index + 1)));
  const bytes = parts.filter((part): part is Buffer => part !== null);
  return createHash('sha256')
    .update(Buffer.concat([lengths, ...bytes]))
    .digest('hex');
}
