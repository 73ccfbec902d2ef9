import { Inject, Injectable, Logger } from '@nestjs/common';
import { failpoint } from '#common';
import { ItniotechClient, type Classification, type Classifier, type ProviderCallResult } from '#itniotech';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { ResendRequest } from '../requests/resend-request.entity.js';
import { AttemptLog } from './attempt-log.js';
import { ProviderCallBudget } from './provider-call-budget.js';
import { CLASSIFIER } from './provider.providers.js';
import { RequestTransitions } from './request-transitions.js';
import { RetryPolicy } from './retry-policy.js';

/** Answers that, after a call whose outcome was unknown, most likely mean that call created our task. */
const TASK_ALREADY_EXISTS_CODES = new Set(['-41', '-20']);

/** Answers that mean "calling too fast": they cut the shared provider call rate (ProviderCallBudget). */
const THROTTLE_CODES = new Set(['-15', 'HTTP_429']);

/**
 * Takes one claimed request one step further: resolves an unknown earlier outcome by looking
 * the task up, or sends the signed call, and records the result with the request's new state.
 */
@Injectable()
export class SubmissionProcessor {
  private readonly logger = new Logger(SubmissionProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly client: ItniotechClient,
    @Inject(CLASSIFIER) private readonly classify: Classifier,
    private readonly attempts: AttemptLog,
    private readonly transitions: RequestTransitions,
    private readonly retryPolicy: RetryPolicy,
    private readonly config: AppConfig,
    private readonly callBudget: ProviderCallBudget,
  ) {}

  async process(request: ResendRequest): Promise<void> {
    await failpoint('after_claim');
    if (request.outcomeUnknown) {
      const settled = await this.resolveUnknownOutcome(request);
      if (settled) return;
    }
    if (this.retryPolicy.isExhausted(request)) {
      await this.dataSource.transaction((transaction) =>
        this.transitions.fail(transaction, request, {
          code: request.errorCode ?? 'RETRIES_EXHAUSTED',
          message: `gave up after ${request.attempts} attempts: ${request.errorMessage ?? 'no answer'}`,
          category: 'retries_exhausted',
        }),
      );
      return;
    }
    await this.submit(request);
  }

  private async submit(request: ResendRequest): Promise<void> {
    const body = request.providerBody!;
    // Committed before the call: if we die while it is in flight, whoever resumes the request
    // sees outcome_unknown and looks the task up instead of creating a second one.
    const attemptId = await this.dataSource.transaction(async (transaction) => {
      await this.transitions.markCallInFlight(transaction, request);
      return this.attempts.start(transaction, request.id, 'submit', body);
    });
    const result = await this.client.resendAi(body);
    const verdict = this.classify(result);
    this.logOutcome(request, result, verdict);
    if (THROTTLE_CODES.has(verdict.errorCode)) await this.callBudget.reportThrottled();
    await failpoint('before_result_commit');
    let lookUpBeforeFailing = false;
    await this.dataSource.transaction(async (transaction) => {
      await this.attempts.finishSubmit(transaction, attemptId, result, verdict);
      if (result.kind === 'accepted') {
        await this.transitions.complete(transaction, request, result.taskId, false);
      } else if (verdict.decision === 'final' && this.mayBeOurOwnTask(request, verdict)) {
        await this.transitions.reschedule(transaction, request, {
          nextAttemptAt: new Date(),
          outcomeUnknown: true,
          errorCode: verdict.errorCode,
          errorMessage: `${verdict.message} (after an unknown outcome: looking the task up)`,
        });
      } else if (verdict.decision === 'final' && verdict.outcomeUnknown) {
        // A final answer that may still have created the task (BAD_RESPONSE, such as "success"
        // without a task id): the request stays in progress, outcome unknown, and is looked up below.
        lookUpBeforeFailing = true;
      } else if (verdict.decision === 'final') {
        await this.transitions.fail(transaction, request, {
          code: verdict.errorCode,
          message: verdict.message,
          category: 'provider_rejected',
        });
      } else {
        await this.retryLater(transaction, request, verdict);
      }
    });
    if (lookUpBeforeFailing && !(await this.resolveUnknownOutcome(request))) {
      // The provider holds no such task: the final answer stands.
      await this.dataSource.transaction((transaction) =>
        this.transitions.fail(transaction, request, { code: verdict.errorCode, message: verdict.message, category: 'provider_rejected' }),
      );
    }
  }

  private async retryLater(
    transaction: Parameters<RequestTransitions['reschedule']>[0],
    request: ResendRequest,
    verdict: Classification,
  ): Promise<void> {
    if (this.retryPolicy.isExhausted(request) && !verdict.outcomeUnknown) {
      await this.transitions.fail(transaction, request, {
        code: verdict.errorCode,
        message: `gave up after ${request.attempts} attempts: ${verdict.message}`,
        category: 'retries_exhausted',
      });
      return;
    }
    // An exhausted request whose last outcome is unknown still gets its lookup before it may fail.
    await this.transitions.reschedule(transaction, request, {
      nextAttemptAt: this.retryPolicy.nextAttemptAt(request.attempts, verdict.retryDelay),
      outcomeUnknown: verdict.outcomeUnknown,
      errorCode: verdict.errorCode,
      errorMessage: verdict.message,
    });
  }

  private mayBeOurOwnTask(request: ResendRequest, verdict: Classification): boolean {
    return request.hadUnknownOutcome && TASK_ALREADY_EXISTS_CODES.has(verdict.errorCode);
  }

  /** Returns true when the request is settled (completed, failed or rescheduled) without a new call. */
  private async resolveUnknownOutcome(request: ResendRequest): Promise<boolean> {
    const taskName = request.taskName!;
    const window = this.lookupWindow(request);
    const attemptId = await this.dataSource.transaction((transaction) =>
      this.attempts.start(transaction, request.id, 'lookup', { taskName, from: window.from, to: window.to }),
    );
    const started = performance.now();
    const result = await this.client.findTasksByName(taskName, window);
    const latencyMs = performance.now() - started;
    if (result.kind === 'failed' && THROTTLE_CODES.has(result.errorCode)) await this.callBudget.reportThrottled();
    return this.dataSource.transaction(async (transaction) => {
      await this.attempts.finishLookup(transaction, attemptId, result, latencyMs);
      if (result.kind === 'found') {
        const task = result.tasks[0]!;
        this.logger.log(`request ${request.requestId}: earlier call did create task ${task.jobId}; completing without a new call`);
        await this.transitions.complete(transaction, request, task.jobId, true);
        return true;
      }
      if (result.kind === 'not_found') {
        await this.transitions.clearUnknownOutcome(transaction, request);
        return false;
      }
      const lookupFailures = request.lookupFailures + 1;
      if (lookupFailures >= this.config.submission.maxAttempts) {
        await this.transitions.fail(transaction, request, {
          code: result.errorCode,
          message: `the provider may or may not have created task "${taskName}": the lookup kept failing (${result.message}); check the provider before resending`,
          category: 'outcome_unknown',
        });
        return true;
      }
      await this.transitions.reschedule(transaction, request, {
        nextAttemptAt: this.retryPolicy.nextAttemptAt(lookupFailures, 'normal'),
        outcomeUnknown: true,
        errorCode: result.errorCode,
        errorMessage: `task lookup failed: ${result.message}`,
        lookupFailed: true,
      });
      return true;
    });
  }

  /** Around the first call, generous on both sides: the provider's clock and ours may differ. */
  private lookupWindow(request: ResendRequest): { from: Date; to: Date } {
    const marginMs = this.config.provider.lookupWindowMinutes * 60_000;
    const firstCall = (request.firstAttemptAt ?? request.receivedAt).getTime();
    return { from: new Date(firstCall - marginMs), to: new Date(Date.now() + marginMs) };
  }

  private logOutcome(request: ResendRequest, result: ProviderCallResult, verdict: Classification): void {
    const subject = `request ${request.requestId} (keyId ${request.keyId}, attempt ${request.attempts})`;
    if (result.kind === 'accepted') {
      this.logger.log(`${subject}: provider created task ${result.taskId} in ${Math.round(result.latencyMs)} ms`);
    } else {
      this.logger.warn(`${subject}: ${verdict.decision} ${verdict.errorCode}: ${verdict.message}`);
    }
  }
}
