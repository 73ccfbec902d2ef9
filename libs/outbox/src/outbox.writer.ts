import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TraceContextText } from '#common';
import type { SqlStatement, SqlTransaction } from '#sql';
import type { OutboxRecord } from './outbox-publisher.js';

export interface OutboxMessage {
  /** Defaults to a new UUID; pass one when the headers must already carry it (CloudEvents ce_id). */
  id?: string;
  topic: string;
  key: string | Buffer | null;
  /** An object is sent as JSON; a Buffer is sent verbatim. */
  value: object | Buffer;
  headers?: Record<string, string>;
  /** The request this message reports on (outcome events), for operators' look-ups. */
  requestId?: string;
  /**
   * The trace context its publication continues: the relay's publish span becomes a child of it.
   * Not a header: a message that should carry the context has it in `headers` as well.
   */
  trace?: TraceContextText | null;
}

/**
 * Outbox rows as one set: `outboxRows(n)` reads them from the 8 arrays `outboxRowValues` gives,
 * passed as parameters $n to $n+7. Shared by the writer's own INSERT and by statements that write
 * their events with the state change they report (submission's finishRequestsAndReport).
 */
export const OUTBOX_ROW_COLUMNS = 'id, topic, message_key, message_value, headers, request_id, trace_parent, trace_state';
const OUTBOX_ROW_TYPES = ['uuid', 'text', 'bytea', 'bytea', 'jsonb', 'text', 'text', 'text'];

export function outboxRows(firstParameter: number): string {
  const arrays = OUTBOX_ROW_TYPES.map((type, index) => `$${firstParameter + index}::${type}[]`);
  return `unnest(${arrays.join(', ')}) AS outbox_row(${OUTBOX_ROW_COLUMNS})`;
}

/** The parameters of `outboxRows`. */
export function outboxRowValues(records: OutboxRecord[]): unknown[][] {
  return [
    records.map((record) => record.id),
    records.map((record) => record.topic),
    records.map((record) => record.messageKey),
    records.map((record) => record.messageValue),
    records.map((record) => JSON.stringify(record.headers)),
    records.map((record) => record.requestId ?? null),
    records.map((record) => record.traceParent ?? null),
    records.map((record) => record.traceState ?? null),
  ];
}

/** A message as its outbox row holds it (and a publisher sends it); it must have its id (`withIds`). */
export function toOutboxRecord(message: OutboxMessage & { id: string }): OutboxRecord {
  return {
    id: message.id,
    topic: message.topic,
    messageKey: message.key === null ? null : Buffer.from(message.key),
    messageValue: Buffer.isBuffer(message.value) ? message.value : Buffer.from(JSON.stringify(message.value)),
    headers: message.headers ?? {},
    requestId: message.requestId ?? null,
    traceParent: message.trace?.traceParent ?? null,
    traceState: message.trace?.traceState ?? null,
  };
}

const insertOutboxEvents: SqlStatement = {
  name: 'outbox.insert-events',
  text: `INSERT INTO outbox_event (${OUTBOX_ROW_COLUMNS}) SELECT * FROM ${outboxRows(1)}`,
};

/**
 * Adds messages to the outbox inside the caller's transaction, so that they exist if and only if
 * the caller's state change commits. Any number of messages is one statement, sent without
 * waiting for its answer: the transaction's COMMIT goes out right behind it.
 */
@Injectable()
export class OutboxWriter {
  /** Returns the messages' ids. */
  add(transaction: SqlTransaction, messages: OutboxMessage[]): string[] {
    if (messages.length === 0) return [];
    const records = withIds(messages).map(toOutboxRecord);
    transaction.send(insertOutboxEvents, outboxRowValues(records));
    return records.map((record) => record.id);
  }
}

/** The messages with their ids: their own (the message itself), or a new UUID. */
export function withIds(messages: OutboxMessage[]): (OutboxMessage & { id: string })[] {
  // A message with its id (every outcome event) is used as it is, not copied as `{ ...message, id }`:
  // on Node 20 a key added after a spread gives each object a hidden class of its own (docs/performance.md).
  return messages.map((message) =>
    message.id !== undefined ? (message as OutboxMessage & { id: string }) : { ...message, id: randomUUID() },
  );
}
