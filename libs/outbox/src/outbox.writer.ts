import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { SqlStatement, SqlTransaction, TraceContextText } from '#common';

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

const insertOutboxEvents: SqlStatement = {
  name: 'outbox.insert-events',
  text: `INSERT INTO outbox_event (id, topic, message_key, message_value, headers, request_id, trace_parent, trace_state)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::jsonb[], $6::text[], $7::text[], $8::text[])`,
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
    const ids = messages.map((message) => message.id ?? randomUUID());
    transaction.send(insertOutboxEvents, [
      ids,
      messages.map((message) => message.topic),
      messages.map((message) => (message.key === null ? null : Buffer.from(message.key))),
      messages.map((message) => (Buffer.isBuffer(message.value) ? message.value : Buffer.from(JSON.stringify(message.value)))),
      messages.map((message) => JSON.stringify(message.headers ?? {})),
      messages.map((message) => message.requestId ?? null),
      messages.map((message) => message.trace?.traceParent ?? null),
      messages.map((message) => message.trace?.traceState ?? null),
    ]);
    return ids;
  }
}
