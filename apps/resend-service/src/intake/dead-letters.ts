import { Injectable, Logger } from '@nestjs/common';
import { DEAD_LETTER_HEADERS, type DeadLetterReason } from '#contracts';
import { OutboxWriter } from '#outbox';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import type { ConsumedMessage } from './consumed-message.js';
import { DeadLetter } from './dead-letter.entity.js';

/**
 * Records a message that cannot become a request, in the caller's transaction: a dead_letter
 * row with its exact bytes, and an outbox message that forwards it to the dead-letter topic
 * with its original key, value and headers plus headers saying why and where it came from.
 */
@Injectable()
export class DeadLetters {
  private readonly logger = new Logger(DeadLetters.name);

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: OutboxWriter,
    private readonly metrics: FlowMetrics,
  ) {}

  async record(
    transaction: EntityManager,
    message: ConsumedMessage,
    reason: DeadLetterReason,
    errorMessage: string,
  ): Promise<void> {
    const failedAt = new Date();
    // The value and key are kept as bytes; headers and the error text go to jsonb and text, which
    // refuse NUL characters (and lone surrogates): a dead letter must be storable whatever it carried.
    const headers = storableHeaders(message.headers);
    errorMessage = storableText(errorMessage);
    // A redelivered message (offset not committed before a crash) was dead-lettered already.
    const inserted = await transaction
      .createQueryBuilder()
      .insert()
      .into(DeadLetter)
      .values({
        kafkaTopic: message.topic,
        kafkaPartition: message.partition,
        kafkaOffset: message.offset,
        messageKey: message.key,
        messageValue: message.value,
        headers,
        reason,
        errorMessage,
        receivedAt: failedAt,
      })
      .orIgnore()
      .returning('id')
      .execute();
    if (inserted.raw.length === 0) return;
    await this.outbox.add(transaction, {
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
    });
    this.metrics.deadLettered(transaction);
    this.logger.warn(
      `dead-lettered ${message.topic}[${message.partition}]@${message.offset} (${reason}): ${errorMessage}`,
    );
  }
}

/**
 * What PostgreSQL text and jsonb cannot hold becomes U+FFFD (�): NUL, and a lone UTF-16
 * surrogate (JSON.parse's error text quotes the input and may cut an emoji in half).
 */
function storableText(text: string): string {
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function storableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [storableText(name), storableText(value)]));
}
