import { Injectable, Logger } from '@nestjs/common';
import { backoffDelayMs } from '#common';
import { AppConfig } from '../config/app-config.js';
import { classifyDatabaseError } from '../database/database-errors.js';
import { LogContext } from '../logging/log-context.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { FlowProgress } from '../requests/flow-progress.js';
import { PendingWorkSignal } from '../requests/pending-work-signal.js';
import type { ClaimedRequest } from './claimed-request.js';
import { ProviderCallBudget } from './provider-call-budget.js';
import { RequestClaims } from './request-claims.js';
import { LeaseLostError, SubmissionProcessor } from './submission.processor.js';
import { SubmitSpan } from './submit-span.js';

/** Call slots set aside for requests that intake claims in the transaction recording them (IntakeClaim). */
export interface CallSlotReservation {
  readonly slots: number;
  /** After intake's commit: processes the requests it claimed, in the slots set aside. */
  start(requests: ClaimedRequest[]): void;
  /** Gives back the slots not started; call it in any case, also after start(). */
  release(): void;
}

/**
 * Runs in every instance: claims pending requests and processes them, with at most
 * SUBMISSION_CONCURRENCY of them between their claim and the end of their provider call (a
 * "call slot" each). A call that has ended gives its slot to the next request while its result
 * waits for the commit it shares with others; at most as many again wait like that.
 * New requests usually arrive claimed: intake claims them in the transaction that records them,
 * in slots set aside here (reserveCallSlots, through IntakeClaims). The worker claims the rest: woken by intake when it
 * records a request it could not claim, and polling as a fallback, which also picks up retries
 * that come due and leases that expired elsewhere.
 */
@Injectable()
export class SubmissionWorker {
  private readonly logger = new Logger(SubmissionWorker.name);
  /** Every request being processed: claimed, calling, or waiting for its result's commit. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Requests between their claim and the end of their provider calls. */
  private callSlotsHeld = 0;
  /** Call slots intake has set aside for the requests it is claiming (reserveCallSlots). */
  private callSlotsReserved = 0;
  /** The last claim filled every free slot: more requests are probably due. */
  private moreWorkLikely = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private consecutiveClaimFailures = 0;
  /** Set when the shared provider call rate held a claim back: ms until the next call is due. */
  private callBudgetRetryInMs: number | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly claims: RequestClaims,
    private readonly processor: SubmissionProcessor,
    private readonly pendingWork: PendingWorkSignal,
    private readonly callBudget: ProviderCallBudget,
    private readonly logContext: LogContext,
    private readonly progress: FlowProgress,
    private readonly metrics: FlowMetrics,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops claiming, then waits up to `graceMs` for calls in flight. A call still running after
   * that keeps its lease and its outcome_unknown mark: whoever resumes it looks the task up.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pendingWork.wake();
    await this.loop;
    const drained = Promise.allSettled([...this.inFlight]).then(() => true);
    const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
    if (!(await Promise.race([drained, timedOut]))) {
      this.logger.warn(`${this.inFlight.size} provider calls still in flight after ${graceMs} ms; leaving them to lease expiry`);
    }
  }

  /**
   * Sets aside up to `wanted` free call slots for new requests intake claims in the transaction
   * that records them (IntakeClaim): their calls start as soon as intake commits,
   * without a claim of their own. None while the worker is stopped, and none under a provider call
   * budget (a rate or concurrency limit), which only the worker's claims take from.
   */
  reserveCallSlots(wanted: number): CallSlotReservation {
    const slots = this.running && !this.callBudget.limitsCalls ? Math.max(0, Math.min(wanted, this.freeSlots())) : 0;
    let reserved = slots;
    this.callSlotsReserved += slots;
    const giveBack = (count: number) => {
      reserved -= count;
      this.callSlotsReserved -= count;
    };
    return {
      slots,
      start: (requests) => {
        for (const request of requests.slice(0, reserved)) {
          giveBack(1);
          // Stopped meanwhile (shutdown): the request keeps its lease and in-flight mark, and is
          // looked up once the lease expires, as after any claim whose worker went away.
          if (this.running) this.startProcessing(request);
        }
      },
      release: () => {
        if (reserved === 0) return;
        giveBack(reserved);
        // Intake's transaction failed or claimed fewer: the worker may have held a claim back for these slots.
        this.pendingWork.wake();
      },
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.freeSlots();
      if (free > 0) {
        const claimed = await this.claimSafely(free);
        claimed.forEach((request) => this.startProcessing(request));
        // Fewer than asked for: nothing else is due now, so a freed slot need not look for more.
        this.moreWorkLikely = claimed.length === free;
      }
      // Until intake records a request, a slot frees up while more work is likely, or the next poll.
      await this.pendingWork.wait(this.callBudgetRetryInMs ?? this.idleDelayMs());
    }
  }

  /** Call slots free, fewer while more than SUBMISSION_CONCURRENCY results wait for their commit. */
  private freeSlots(): number {
    const { concurrency } = this.config.submission;
    return concurrency - this.callSlotsHeld - this.callSlotsReserved - Math.max(0, this.waitingForCommit() - concurrency);
  }

  /** Requests whose calls have ended, waiting for their result's commit. */
  private waitingForCommit(): number {
    return this.inFlight.size - this.callSlotsHeld;
  }

  private async claimSafely(limit: number): Promise<ClaimedRequest[]> {
    try {
      // The provider call budget shared by all instances: claim no more than it grants.
      // A claim that succeeds, even empty, is the stage's progress: one that keeps failing or hangs is a stall.
      const { claimed, retryInMs } = await this.progress.submission.attempt(() =>
        this.callBudget.claimWithin(limit, (granted) => this.claims.claim(granted)),
      );
      this.callBudgetRetryInMs = retryInMs;
      if (this.consecutiveClaimFailures > 0) this.logger.log('claiming requests again');
      this.consecutiveClaimFailures = 0;
      return claimed;
    } catch (error) {
      this.callBudgetRetryInMs = null;
      this.consecutiveClaimFailures += 1;
      this.metrics.databaseFailed('submission', classifyDatabaseError(error));
      if (this.consecutiveClaimFailures % 10 === 1) {
        this.logger.warn(`cannot claim requests (${this.consecutiveClaimFailures} failures in a row): ${(error as Error).message}`);
      }
      return [];
    }
  }

  private idleDelayMs(): number {
    if (this.consecutiveClaimFailures === 0) return this.config.submission.pollIntervalMs;
    return backoffDelayMs(this.consecutiveClaimFailures, { baseMs: 500, maxMs: 30_000 });
  }

  /**
   * In the claim's span and log context, both of which the failure report is written in too:
   * every line about the request carries its requestId, keyId and trace ids.
   */
  private startProcessing(request: ClaimedRequest): void {
    const span = SubmitSpan.start(request);
    const releaseCallSlot = this.takeCallSlot();
    const work = span
      .run(() =>
        this.logContext.run({ requestId: request.requestId, keyId: request.keyId }, () =>
          this.processor.process(request, span.trace, releaseCallSlot).then(
            (step) => span.succeeded(request, step),
            (error: unknown) => {
              span.failed(error);
              this.reportFailure(request, error);
            },
          ),
        ),
      )
      .finally(() => {
        releaseCallSlot();
        const wasHoldingClaimsBack = this.waitingForCommit() > this.config.submission.concurrency;
        this.inFlight.delete(work);
        if (wasHoldingClaimsBack) this.pendingWork.wake();
      });
    this.inFlight.add(work);
  }

  /** Takes a call slot; the function returned gives it back (once, however often it is called) and looks for more work if some is likely. */
  private takeCallSlot(): () => void {
    this.callSlotsHeld += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.callSlotsHeld -= 1;
      if (this.moreWorkLikely) this.pendingWork.wake();
    };
  }

  private reportFailure(request: ClaimedRequest, error: unknown): void {
    if (error instanceof LeaseLostError) {
      this.logger.warn(error.message);
      return;
    }
    // The request keeps its lease and, if a call was made, its outcome_unknown mark;
    // it is resumed (safely) once the lease expires.
    this.logger.error(`processing request ${request.requestId} failed: ${(error as Error).message}`);
  }
}
