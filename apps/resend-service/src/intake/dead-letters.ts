import { Injectable, Logger } from '@nestjs/common';
import { DEAD_LETTER_HEADERS, type DeadLetterReason } from '#contracts';
import type { TraceContextText } from '#common';
import type { SqlTransaction } from '#sql';
import { OutboxWriter } from '#outbox';
import { AppConfig } from '../config/app-config.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import type { ConsumedMessage } from './consumed-message.js';
import { insertDeadLetter } from './intake.sql.js';

export interface DeadLetterEntry {
  message: ConsumedMessage;
  reason: DeadLetterReason;
  error: string;
  /** The context of the span that recorded it: the dead-letter copy's publish span continues it. */
  trace?: TraceContextText | null;
}

/**
 * Records messages that cannot become requests, in the caller's transaction: a dead_letter row
 * with the exact bytes, and an outbox message that forwards it to the dead-letter topic with its
 * original key, value and headers plus headers saying why and where it came from.
 * Rare by nature, so one statement per dead letter.
 */
@Injectable()
export class DeadLetters {
  private readonly logger = new Logger(DeadLetters.name);

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: OutboxWriter,
    private readonly metrics: FlowMetrics,
  ) {}

  /** Returns how many were new (the record not recorded before at its Kafka position). */
  async record(transaction: SqlTransaction, entries: readonly DeadLetterEntry[]): Promise<number> {
    let recorded = 0;
    for (const { message, reason, error, trace } of entries) {
      const failedAt = new Date();
      // The value and key are kept as bytes; headers and the error text go to jsonb and text, which
      // refuse NUL characters (and lone surrogates): a dead letter must be storable whatever it carried.
      const headers = storableHeaders(message.headers);
      const errorMessage = storableText(error);
      const inserted = await transaction.query(insertDeadLetter, [
        message.topic,
        message.partition,
        message.offset,
        message.key,
        message.value,
        JSON.stringify(headers),
        reason,
        errorMessage,
        failedAt,
        message.fingerprint,
      ]);
      if (inserted.length === 0) continue;
      recorded += 1;
      this.outbox.add(transaction, [
        {
          topic: this.config.topics.deadLetter,
          key: message.key,
          value: message.value ?? Buffer.alloc(0),
          headers: {
            ...headers,
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.error]: errorMessage,
            [DEAD_LETTER_HEADERS.sourceTopic]: message.topic,
            [DEAD_LETTER_HEADERS.sourcePartition]: String(message.partition),
            [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
            [DEAD_LETTER_HEADERS.failedAt]: failedAt.toISOString(),
          },
          // Not in the headers: the copy keeps the original ones (a traceparent among them) unchanged.
          trace: trace ?? null,
        },
      ]);
      this.logger.warn(`dead-lettered ${message.topic}[${message.partition}]@${message.offset} (${reason}): ${errorMessage}`);
    }
    return recorded;
  }
}

/**
 * What PostgreSQL text and jsonb cannot hold becomes U+FFFD (�): NUL, and a lone UTF-16
 * surrogate (JSON.parse's error text quotes the input and may cut an emoji in half).
 */
function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function storableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [storableText(name), storableText(value)]));
}
