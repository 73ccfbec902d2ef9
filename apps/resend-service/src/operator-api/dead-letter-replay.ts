import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { OutboxWriter } from '#outbox';
import { Sql } from '../database/sql.js';
import { iso } from './iso-time.js';
import { findDeadLetterReplayedAt, markDeadLetterReplayed } from './operator-api.sql.js';

/**
 * Replays a dead letter once: republishes its original key, value and headers to the topic it
 * was consumed from. The mark (replayed_at) and the outbox row that publishes it are written in
 * ONE transaction, so the replay is as durable as any outcome event and published by the same
 * relay (at least once; a consumer sees the same bytes as the first time). Of two concurrent
 * replays, the UPDATE … WHERE replayed_at IS NULL lets exactly one through; the other waits for
 * its row lock, finds the mark set and answers 409.
 */
@Injectable()
export class DeadLetterReplay {
  private readonly logger = new Logger(DeadLetterReplay.name);

  constructor(
    private readonly sql: Sql,
    private readonly outbox: OutboxWriter,
  ) {}

  async replay(deadLetterId: string, operator: string) {
    const outboxEventId = randomUUID();
    const replayed = await this.sql.transaction(async (transaction) => {
      const [marked] = await transaction.query<MarkedRow>(markDeadLetterReplayed, [deadLetterId, operator, outboxEventId]);
      if (!marked) return null;
      this.outbox.add(transaction, [
        {
          id: outboxEventId,
          topic: marked.kafka_topic,
          key: marked.message_key,
          // A tombstone (no value) is replayed as an empty value, as its dead-letter copy was.
          value: marked.message_value ?? Buffer.alloc(0),
          headers: marked.headers,
        },
      ]);
      return marked;
    });
    if (replayed === null) throw await this.whyNotReplayed(deadLetterId);
    this.logger.log(`dead letter ${deadLetterId} replayed to ${replayed.kafka_topic} by ${operator}`);
    return {
      deadLetterId,
      topic: replayed.kafka_topic,
      outboxEventId,
      replayedAt: iso(replayed.replayed_at)!,
      replayedBy: operator,
    };
  }

  private async whyNotReplayed(deadLetterId: string): Promise<Error> {
    const [row] = await this.sql.query<{ replayed_at: Date | null }>(findDeadLetterReplayedAt, [deadLetterId]);
    if (!row) return new NotFoundException(`no dead letter ${deadLetterId}`);
    const replayedAt = iso(row.replayed_at)!;
    return new ConflictException({
      statusCode: 409,
      error: 'Conflict',
      message: `dead letter ${deadLetterId} was already replayed at ${replayedAt}`,
      replayedAt,
    });
  }
}

interface MarkedRow {
  kafka_topic: string;
  message_key: Buffer | null;
  message_value: Buffer | null;
  headers: Record<string, string>;
  replayed_at: Date;
}
