import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { OutcomeEvents, type FailureDescription } from '../outcome/outcome-events.js';
import { ResendRequest } from '../requests/resend-request.entity.js';

/** Our lease was taken over (it expired while we worked): another worker owns the request now. */
export class LeaseLostError extends Error {
  constructor(requestId: string) {
    super(`lease on request ${requestId} was lost; leaving it to its new owner`);
    this.name = 'LeaseLostError';
  }
}

/**
 * State changes of a claimed request. Each one is fenced by the lease (only the current owner
 * can write), and the terminal ones write the outcome event in the same transaction.
 */
@Injectable()
export class RequestTransitions {
  constructor(
    private readonly config: AppConfig,
    private readonly outcomes: OutcomeEvents,
    private readonly metrics: FlowMetrics,
  ) {}

  /** Before a provider call: from now until its result is committed, the outcome is unknown. */
  async markCallInFlight(transaction: EntityManager, request: ResendRequest): Promise<void> {
    request.attempts += 1;
    request.firstAttemptAt ??= new Date();
    await this.update(transaction, request, {
      attempts: request.attempts,
      firstAttemptAt: request.firstAttemptAt,
      outcomeUnknown: true,
    });
  }

  async complete(transaction: EntityManager, request: ResendRequest, taskId: number, resolvedByLookup: boolean) {
    const now = new Date();
    Object.assign(request, { status: 'completed', providerTaskId: taskId, resolvedByLookup });
    await this.update(transaction, request, {
      status: 'completed',
      providerTaskId: taskId,
      resolvedByLookup,
      outcomeUnknown: false,
      errorCode: null,
      errorMessage: null,
      errorCategory: null,
      ...this.released(now),
    });
    await this.outcomes.completed(transaction, request, now);
  }

  async fail(transaction: EntityManager, request: ResendRequest, failure: FailureDescription) {
    const now = new Date();
    await this.update(transaction, request, {
      status: 'failed',
      outcomeUnknown: false,
      errorCode: failure.code,
      errorMessage: failure.message,
      errorCategory: failure.category,
      ...this.released(now),
    });
    await this.outcomes.failed(transaction, request, failure, now);
  }

  /** Back to pending until `nextAttemptAt`, remembering why and whether the last call's outcome is unknown. */
  async reschedule(
    transaction: EntityManager,
    request: ResendRequest,
    change: { nextAttemptAt: Date; outcomeUnknown: boolean; errorCode: string; errorMessage: string; lookupFailed?: boolean },
  ) {
    await this.update(transaction, request, {
      status: 'pending',
      nextAttemptAt: change.nextAttemptAt,
      outcomeUnknown: change.outcomeUnknown,
      hadUnknownOutcome: request.hadUnknownOutcome || change.outcomeUnknown,
      lookupFailures: request.lookupFailures + (change.lookupFailed ? 1 : 0),
      errorCode: change.errorCode,
      errorMessage: change.errorMessage,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    this.metrics.retryScheduled(transaction);
  }

  /** A lookup found no task: the earlier call created nothing, so sending again is safe. */
  async clearUnknownOutcome(transaction: EntityManager, request: ResendRequest) {
    request.outcomeUnknown = false;
    await this.update(transaction, request, { outcomeUnknown: false });
  }

  private released(now: Date): Partial<ResendRequest> {
    return { finishedAt: now, nextAttemptAt: null, leaseOwner: null, leaseExpiresAt: null };
  }

  private async update(transaction: EntityManager, request: ResendRequest, fields: Partial<ResendRequest>) {
    const result = await transaction.update(
      ResendRequest,
      { id: request.id, status: 'in_progress', leaseOwner: this.config.instanceId },
      { ...fields, updatedAt: new Date() },
    );
    if (result.affected !== 1) throw new LeaseLostError(request.requestId);
  }
}
