import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import { iso } from './iso-time.js';
import { newestFirstPage, type ListFilter } from './newest-first-page.js';
import type { ListDeadLettersQuery } from './operator-api.schemas.js';
import { deadLetterFilters, deadLetterList, findDeadLetter } from './operator-api.sql.js';

/** What the operator API reads about dead letters. Listing leaves the bytes out; one dead letter has them. */
@Injectable()
export class DeadLetterQueries {
  constructor(private readonly sql: Sql) {}

  async list(query: ListDeadLettersQuery) {
    const filters: ListFilter[] = query.since === undefined ? [] : [{ ...deadLetterFilters.since, value: query.since }];
    const { rows, nextCursor } = await newestFirstPage<DeadLetterRow>(this.sql, deadLetterList, {
      filters,
      cursor: query.cursor,
      limit: query.limit,
    });
    return { items: rows.map(toSummary), nextCursor };
  }

  async find(id: string) {
    const [row] = await this.sql.query<DeadLetterDetailRow>(findDeadLetter, [id]);
    if (!row) return null;
    return {
      ...toSummary(row),
      keyBase64: row.message_key?.toString('base64') ?? null,
      valueBase64: row.message_value?.toString('base64') ?? null,
      valueText: row.message_value === null ? null : utf8OrNull(row.message_value),
      headers: row.headers,
    };
  }
}

interface DeadLetterRow {
  id: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  reason: string;
  error_message: string;
  received_at: Date;
  key_size: number | null;
  value_size: number | null;
  replayed_at: Date | null;
  replayed_by: string | null;
  replay_event_id: string | null;
}

interface DeadLetterDetailRow extends DeadLetterRow {
  message_key: Buffer | null;
  message_value: Buffer | null;
  headers: Record<string, string>;
}

function toSummary(row: DeadLetterRow) {
  return {
    id: row.id,
    kafka: { topic: row.kafka_topic, partition: row.kafka_partition, offset: Number(row.kafka_offset) },
    reason: row.reason,
    errorMessage: row.error_message,
    receivedAt: iso(row.received_at)!,
    keySize: row.key_size,
    valueSize: row.value_size,
    replayedAt: iso(row.replayed_at),
    replayedBy: row.replayed_by,
    replayEventId: row.replay_event_id,
  };
}

function utf8OrNull(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
