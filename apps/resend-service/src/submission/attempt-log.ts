import { Injectable } from '@nestjs/common';
import type { Classification, ProviderCallResult, TaskLookupResult } from '#itniotech';
import type { EntityManager } from 'typeorm';
import { SubmissionAttempt, type AttemptKind } from './submission-attempt.entity.js';

/**
 * The audit trail of provider calls: a row is written before each call (outcome `in_flight`)
 * and completed after it. The body and the Timestamp header are kept; the secret and the Sign
 * never reach this table.
 */
@Injectable()
export class AttemptLog {
  async start(transaction: EntityManager, requestId: string, kind: AttemptKind, requestBody: unknown): Promise<string> {
    const [row]: { id: string }[] = await transaction.query(
      `INSERT INTO submission_attempt (request_id, attempt_number, kind, request_body)
       VALUES ($1, (SELECT COALESCE(MAX(attempt_number), 0) + 1 FROM submission_attempt WHERE request_id = $1), $2, $3)
       RETURNING id`,
      [requestId, kind, JSON.stringify(requestBody)],
    );
    return row!.id;
  }

  async finishSubmit(transaction: EntityManager, attemptId: string, result: ProviderCallResult, verdict: Classification) {
    await transaction.update(SubmissionAttempt, attemptId, {
      finishedAt: new Date(),
      outcome: result.kind,
      signTimestamp: String(result.timestamp),
      latencyMs: Math.round(result.latencyMs),
      httpStatus: 'httpStatus' in result ? result.httpStatus : null,
      providerStatus: 'providerStatus' in result ? result.providerStatus : null,
      providerReason: 'reason' in result ? result.reason : null,
      errorCode: verdict.decision === 'success' ? null : verdict.errorCode,
      errorMessage: verdict.decision === 'success' ? null : verdict.message,
    });
  }

  async finishLookup(transaction: EntityManager, attemptId: string, result: TaskLookupResult, latencyMs: number) {
    await transaction.update(SubmissionAttempt, attemptId, {
      finishedAt: new Date(),
      outcome: result.kind === 'failed' ? 'lookup_failed' : result.kind,
      latencyMs: Math.round(latencyMs),
      providerReason: result.kind === 'found' ? `found task ${result.tasks.map((task) => task.jobId).join(', ')}` : null,
      errorCode: result.kind === 'failed' ? result.errorCode : null,
      errorMessage: result.kind === 'failed' ? result.message : null,
    });
  }
}
