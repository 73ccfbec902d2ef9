import { Injectable, Logger } from '@nestjs/common';
import { sqlStateOf, type DatabaseErrorKind } from '../database/database-errors.js';
import { LogContext } from '../logging/log-context.js';
import type { IntakeDecision } from './intake-decision.js';
import type { ReceivedMessage, ReceivedRequest } from './received-message.js';

/** The log lines of intake, under the context operators know them by (IntakeService). */
@Injectable()
export class IntakeLog {
  private readonly logger = new Logger('IntakeService');

  constructor(private readonly logContext: LogContext) {}

  /** The decision's line, with the request's fields (and, through the active span, its trace). */
  decision(received: ReceivedRequest, decision: IntakeDecision): void {
    const { requestId, keyId, message } = received;
    this.logContext.run({ requestId, keyId }, () => {
      switch (decision.kind) {
        case 'redelivery':
          return this.logger.log(`ignored redelivery of request ${requestId} (${message.topic}[${message.partition}]@${message.offset})`);
        case 'pending':
          return this.logger.log(`recorded request ${requestId} for keyId ${keyId}`);
        case 'duplicate':
          return this.logger.log(
            `request ${requestId} repeats ${decision.original.requestId} for keyId ${keyId} (${decision.original.status}); not sent again`,
          );
        case 'conflict':
          return this.logger.warn(`request ${requestId} rejected: ${decision.failure.message}`);
        case 'invalid':
          return this.logger.warn(`request ${requestId} is invalid: ${decision.failure.message}`);
      }
    });
  }

  /**
   * The batch cannot be recorded yet: names the SQLSTATE and what it means (database-errors.ts),
   * so that a refusal that lasts can be told from an outage.
   */
  waiting(batch: readonly ReceivedMessage[], error: unknown, kind: DatabaseErrorKind, failures: number): void {
    // First failure and then every tenth: an outage must not flood the log.
    if (failures % 10 !== 0) return;
    const { topic, partition, offset } = batch[0]!.message;
    const more = batch.length > 1 ? ` and ${batch.length - 1} more` : '';
    const sqlState = sqlStateOf(error);
    const cause = `${(error as Error)?.message}; ${kind}${sqlState ? ` ${sqlState}` : ''}`;
    this.logger.warn(`cannot record ${topic}[${partition}]@${offset}${more} yet (${cause}); retrying`);
  }
}
