import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';

/**
 * What tells one Kafka record from another at the same position: SHA-256 (hex) of the record's
 * timestamp, key, value and headers as they are in the log. Read again (a redelivery, a replay by
 * another group), a record has the same fingerprint; a record written later at a reused position
 * (the topic deleted and created again, its offsets starting at 0) has another — unless it repeats
 * the old record byte for byte in the same millisecond. Each part is length-prefixed, so that no
 * two different records hash the same bytes; an absent key or value differs from an empty one.
 */
export function recordFingerprint(record: Pick<KafkaMessage, 'timestamp' | 'key' | 'value' | 'headers'>): string {
  const hash = createHash('sha256');
  addPart(hash, Buffer.from(record.timestamp ?? '', 'utf8'));
  addPart(hash, record.key ?? null);
  addPart(hash, record.value ?? null);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    for (const part of Array.isArray(value) ? value : [value]) {
      addPart(hash, Buffer.from(name, 'utf8'));
      addPart(hash, part === undefined ? null : Buffer.isBuffer(part) ? part : Buffer.from(part, 'utf8'));
    }
  }
  return hash.digest('hex');
}

function addPart(hash: ReturnType<typeof createHash>, bytes: Buffer | null): void {
  hash.update(bytes === null ? '-1:' : `${bytes.length}:`);
  if (bytes !== null) hash.update(bytes);
}
