import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxEvent } from './outbox-event.entity.js';

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
}

/**
 * Adds messages to the outbox inside the caller's transaction: pass the transaction's
 * EntityManager, so the message exists if and only if the caller's state change commits.
 */
@Injectable()
export class OutboxWriter {
  async add(transaction: EntityManager, message: OutboxMessage): Promise<string> {
    const id = message.id ?? randomUUID();
    await transaction.insert(OutboxEvent, {
      id,
      topic: message.topic,
      messageKey: message.key === null ? null : Buffer.from(message.key),
      messageValue: Buffer.isBuffer(message.value) ? message.value : Buffer.from(JSON.stringify(message.value)),
      headers: message.headers ?? {},
      requestId: message.requestId ?? null,
    });
    return id;
  }
}
