import { Injectable } from '@nestjs/common';
import type { AfterCommit, SqlTransaction } from '#sql';
import type { ClaimedRequest, RecordedRequest } from './claimed-request.js';
import { RequestClaims } from './request-claims.js';
import { SubmissionWorker, type CallSlotReservation } from './submission.worker.js';

/**
 * New requests claimed for this instance's worker in the intake transaction that records them, in
 * the worker's free call slots: their calls start as soon as that transaction commits, without a
 * claim of their own. One per transaction, opened before it: a transaction that fails, which it
 * mostly does at its COMMIT, hands nothing back, so the slots set aside are given back by
 * `release()`, called in any case once the transaction is over.
 */
export class IntakeClaim {
  private reservation: CallSlotReservation | null = null;
  private claiming: AfterCommit<ClaimedRequest[]> | null = null;

  constructor(
    private readonly worker: SubmissionWorker,
    private readonly claims: RequestClaims,
  ) {}

  /**
   * In the transaction, once: sets aside the free call slots for the first of `requests` and
   * sends their claim by id, without waiting (it goes with the COMMIT). Returns how many it claims;
   * the rest are left to the worker's own claims.
   */
  claimIn(transaction: SqlTransaction, requests: readonly RecordedRequest[]): number {
    if (this.reservation) throw new Error('an intake claim is sent once per transaction');
    this.reservation = this.worker.reserveCallSlots(requests.length);
    const { slots } = this.reservation;
    if (slots > 0) this.claiming = this.claims.claimRecorded(transaction, requests.slice(0, slots));
    return slots;
  }

  /** Once the transaction has committed: starts the claimed requests' calls; resolves to how many it claimed. */
  async startCalls(): Promise<number> {
    if (!this.claiming) return 0;
    const claimed = await this.claiming.read();
    this.reservation!.start(claimed);
    return claimed.length;
  }

  /** Gives back the slots no call was started in: all of them if the transaction failed. */
  release(): void {
    this.reservation?.release();
  }
}

/** Intake's way to claim what it records for the worker (IntakeClaim). */
@Injectable()
export class IntakeClaims {
  constructor(
    private readonly worker: SubmissionWorker,
    private readonly claims: RequestClaims,
  ) {}

  /** Before the transaction: `claimIn` it, `startCalls` after its commit, `release` in any case. */
  open(): IntakeClaim {
    return new IntakeClaim(this.worker, this.claims);
  }
}
