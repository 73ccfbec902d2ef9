import type { SqlTransaction } from '#sql';
import type { OutboxMessage, OutboxWriter } from '#outbox';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import type { FlowMetrics } from '../metrics/flow-metrics.js';
import { consumedMessageFrom } from './consumed-message.js';
import { DeadLetters } from './dead-letters.js';

const config = { topics: { deadLetter: 'campaign.resend.requested.dlq' } } as AppConfig;

/** Records a message as a dead letter with a fake transaction and outbox; returns the stored row's headers and the copy. */
async function deadLetter(message: KafkaMessage) {
  const inserts: unknown[][] = [];
  const copies: OutboxMessage[] = [];
  const transaction = {
    query: async (_sql: string, params: unknown[]) => (inserts.push(params), [{ id: '1' }]),
  } as unknown as SqlTransaction;
  const outbox = { add: (_transaction: unknown, messages: OutboxMessage[]) => void copies.push(...messages) } as unknown as OutboxWriter;
  const deadLetters = new DeadLetters(config, outbox, {} as FlowMetrics);
  const consumed = consumedMessageFrom('campaign.resend.requested', 0, message);
  await deadLetters.record(transaction, [{ message: consumed, reason: 'not_json', error: 'Unexpected token' }]);
  expect(inserts).toHaveLength(1);
  expect(copies).toHaveLength(1);
  return { storedHeaders: JSON.parse(inserts[0]![5] as string) as Record<string, string>, copy: copies[0]! };
}

function kafkaMessage(headers: KafkaMessage['headers']): KafkaMessage {
  return {
    key: Buffer.from([0x01, 0xff, 0x00]),
    value: Buffer.from([0xfe, 0x00, 0x7b]),
    timestamp: '0',
    attributes: 0,
    offset: '42',
    headers,
  } as KafkaMessage;
}

describe('DeadLetters: header values of dead letters are UTF-8 text (docs/guarantees.md)', () => {
  it('turns header bytes that are not UTF-8 into U+FFFD, in the stored row and in the copy', async () => {
    const { storedHeaders, copy } = await deadLetter(kafkaMessage({ origin: Buffer.from([0x61, 0xff, 0x62]) }));
    expect(storedHeaders.origin).toBe('a\uFFFDb');
    expect(copy.headers?.origin).toBe('a\uFFFDb');
  });

  it('turns a NUL in a header name or value into U+FFFD, in the stored row and in the copy', async () => {
    const { storedHeaders, copy } = await deadLetter(kafkaMessage({ 'x\u0000name': Buffer.from('va\u0000lue') }));
    expect(storedHeaders).toMatchObject({ 'x\uFFFDname': 'va\uFFFDlue' });
    expect(copy.headers).toMatchObject({ 'x\uFFFDname': 'va\uFFFDlue' });
    expect(JSON.stringify(copy.headers)).not.toContain('\\u0000');
  });

  it('keeps the key and value byte for byte, NULs and non-UTF-8 bytes included', async () => {
    const { copy } = await deadLetter(kafkaMessage({ origin: 'test' }));
    expect(copy.key).toEqual(Buffer.from([0x01, 0xff, 0x00]));
    expect(copy.value).toEqual(Buffer.from([0xfe, 0x00, 0x7b]));
  });
});
