import { Inject, Injectable, Logger } from '@nestjs/common';
import { failpoint, type TraceContextText } from '#common';
import { ItniotechClient, type Classification, type Classifier, type ProviderCallResult } from '#itniotech';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import { ProviderCallBudget } from './provider-call-budget.js';
import { lookupAttemptRecord, submitAttemptRecord, type AttemptRecord } from './attempt-record.js';
import type { ClaimedRequest } from './claimed-request.js';
import { stepAfterClaim, stepAfterLookup, stepAfterSubmit, type NextStep, type PendingFailure } from './next-step.js';
import { CLASSIFIER } from './provider.providers.js';
import { ResultRecorder, type RecordedStep } from './result-recorder.js';
import { RetryPolicy } from './retry-policy.js';
import { finishAttempts, markSubmitInFlight, startLookupAttempt } from './submission.sql.js';

/** Our lease was taken over (it expired while we worked): another worker owns the request now. */
export class LeaseLostError extends Error {
  constructor(requestId: string) {
    super(`lease on request ${requestId} was lost; leaving it to its new owner`);
    this.name = 'LeaseLostError';
  }
}

/** The provider calls one turn of a request has made (submits, and every page of a lookup). */
class CallCount {
  made = 0;

  add(): void {
    this.made += 1;
  }
}

interface StepWithAttempt {
  step: NextStep;
  attempt?: AttemptRecord;
}

/** Answers that mean "calling too fast": they cut the shared provider call rate (ProviderCallBudget). */
const THROTTLE_CODES = new Set(['-15', 'HTTP_429']);

/**
 * Takes one claimed request one step further: resolves an unknown earlier outcome by looking
 * the task up, or sends the signed call, and hands the result to the ResultRecorder. The
 * decisions are the pure functions of next-step.ts; this class only makes the calls.
 */
@Injectable()
export class SubmissionProcessor {
  private readonly logger = new Logger(SubmissionProcessor.name);

  constructor(
    private readonly sql: Sql,
    private readonly client: ItniotechClient,
    @Inject(CLASSIFIER) private readonly classify: Classifier,
    private readonly recorder: ResultRecorder,
    private readonly retryPolicy: RetryPolicy,
    private readonly config: AppConfig,
    private readonly callBudget: ProviderCallBudget,
  ) {}

  /**
   * Takes the request one step further; returns the step recorded last. `spanTrace`: the context
   * of the claim's `resend.submit` span (SubmitSpan), written with the outcome it decides.
   * `callsEnded` is called once the request will make no more provider calls in this step, before
   * its last result is recorded: the worker's call slot is free for another request from then on.
   */
  async process(
    request: ClaimedRequest,
    spanTrace: TraceContextText | null = null,
    callsEnded: () => void = () => {},
  ): Promise<RecordedStep> {
    await failpoint('after_claim');
    const calls = new CallCount();
    let next: StepWithAttempt = { step: stepAfterClaim(request) };
    if (next.step.kind === 'look_up') next = await this.lookUp(request, calls);
    if (next.step.kind === 'submit') {
      // The lookup found nothing: its row is completed on its own, and the call goes ahead.
      if (next.attempt) await this.sql.query(finishAttempts, [JSON.stringify([next.attempt])]);
      next = await this.submit(request, calls);
    }
    if (next.step.kind === 'look_up_before_failing') {
      // Recorded first (still in progress, outcome unknown): a crash during the lookup leads to another lookup.
      await this.record(request, spanTrace, next.step, next.attempt);
      next = await this.lookUp(request, calls, { failure: next.step.failure, settlesInMs: next.step.settlesInMs });
    }
    callsEnded();
    // The claim was granted one call; the others of this turn are charged now.
    await this.callBudget.chargeExtraCalls(calls.made - 1);
    await this.record(request, spanTrace, next.step as RecordedStep, next.attempt);
    return next.step as RecordedStep;
  }

  private async submit(request: ClaimedRequest, calls: CallCount): Promise<StepWithAttempt> {
    if (request.submitAttemptId === null) await this.markInFlight(request);
    calls.add();
    const result = await this.client.resendAi(request.providerBody);
    const verdict = this.classify(result);
    this.logOutcome(request, result, verdict);
    if (THROTTLE_CODES.has(verdict.errorCode)) await this.callBudget.reportThrottled('submit');
    await failpoint('before_result_commit');
    return {
      step: stepAfterSubmit(request, result, verdict, this.retryPolicy),
      attempt: submitAttemptRecord(request.submitAttemptId!, result, verdict),
    };
  }

  /** Committed before the call, as the claim does for a first call. */
  private async markInFlight(request: ClaimedRequest): Promise<void> {
    const [marked] = await this.sql.query<{ attempts: number; first_attempt_at: Date; attempt_id: string }>(markSubmitInFlight, [
      request.id,
      request.leaseOwner,
    ]);
    if (!marked) throw new LeaseLostError(request.requestId);
    request.attempts = marked.attempts;
    request.firstAttemptAt = marked.first_attempt_at;
    request.submitAttemptId = marked.attempt_id;
  }

  private async lookUp(request: ClaimedRequest, calls: CallCount, pending?: PendingFailure): Promise<StepWithAttempt> {
    const window = this.lookupWindow(request);
    const [started] = await this.sql.query<{ id: string }>(startLookupAttempt, [
      request.id,
      JSON.stringify({ taskName: request.taskName, from: window.from, to: window.to }),
    ]);
    const startedAt = performance.now();
    const result = await this.client.findTasksByName(request.taskName, window, () => calls.add());
    const attempt = lookupAttemptRecord(started!.id, result, performance.now() - startedAt);
    if (result.kind === 'failed' && THROTTLE_CODES.has(result.errorCode)) await this.callBudget.reportThrottled('lookup');
    if (result.kind === 'found') {
      this.logger.log(
        `request ${request.requestId}: earlier call did create task ${result.tasks[0]!.jobId}; completing without a new call`,
      );
    }
    const step = stepAfterLookup(request, result, this.retryPolicy, pending);
    if (result.kind === 'not_found' && step.kind === 'retry') {
      this.logger.log(`request ${request.requestId}: no task found yet, too soon to believe it; looking again in ${step.retryInMs} ms`);
    }
    return { step, attempt };
  }

  private async record(
    request: ClaimedRequest,
    spanTrace: TraceContextText | null,
    step: RecordedStep,
    attempt?: AttemptRecord,
  ): Promise<void> {
    if (!(await this.recorder.record({ request, step, attempt, trace: spanTrace }))) throw new LeaseLostError(request.requestId);
  }

  /** Around the first call, generous on both sides: the provider's clock and ours may differ. */
  private lookupWindow(request: ClaimedRequest): { from: Date; to: Date } {
    const marginMs = this.config.provider.lookupWindowMinutes * 60_000;
    const firstCall = (request.firstAttemptAt ?? request.receivedAt).getTime();
    return { from: new Date(firstCall - marginMs), to: new Date(Date.now() + marginMs) };
  }

  private logOutcome(request: ClaimedRequest, result: ProviderCallResult, verdict: Classification): void {
    const subject = `request ${request.requestId} (keyId ${request.keyId}, attempt ${request.attempts})`;
    if (result.kind === 'accepted') {
      this.logger.log(`${subject}: provider created task ${result.taskId} in ${Math.round(result.latencyMs)} ms`);
    } else {
      this.logger.warn(`${subject}: ${verdict.decision} ${verdict.errorCode}: ${verdict.message}`);
    }
  }
}
