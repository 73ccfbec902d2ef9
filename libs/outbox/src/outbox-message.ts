import { randomUUID } from 'node:crypto';
import type { TraceContextText } from '#common';
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

/** The messages with their ids: their own (the message itself), or a new UUID. */
export function withIds(messages: OutboxMessage[]): (OutboxMessage & { id: string })[] {
  // A message with its id (every outcome event) is used as it is, not copied as `{ ...message, id }`:
  // a key added after a spread gives each object a hidden class of its own (docs/performance.md).
  return messages.map((message) =>
    message.id !== undefined ? (message as OutboxMessage & { id: string }) : { ...message, id: randomUUID() },
  );
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

/** The parameters of `outboxRows` (outbox.sql.ts): one array per column. */
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
