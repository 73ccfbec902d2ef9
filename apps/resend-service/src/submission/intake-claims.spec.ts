import { describe, expect, it } from 'vitest';
import { afterCommit, type SqlTransaction } from '#sql';
import type { ClaimedRequest, RecordedRequest } from './claimed-request.js';
import { IntakeClaims } from './intake-claims.js';
import type { RequestClaims } from './request-claims.js';
import type { CallSlotReservation, SubmissionWorker } from './submission.worker.js';

/** A worker with `free` call slots that records what intake's reservations do with them. */
class SlotsWorker {
  reserved = 0;
  started: string[] = [];

  constructor(private free: number) {}

  reserveCallSlots(wanted: number): CallSlotReservation {
    const slots = Math.min(wanted, this.free);
    this.free -= slots;
    this.reserved += slots;
    let held = slots;
    return {
      slots,
      start: (requests) => {
        for (const request of requests.slice(0, held)) {
          held -= 1;
          this.reserved -= 1;
          this.started.push(request.requestId);
        }
      },
      release: () => {
        this.reserved -= held;
        this.free += held;
        held = 0;
      },
    };
  }
}

/** Claims every request it is sent in a transaction whose commit the test decides. */
class TransactionClaims {
  sent: string[][] = [];
  committed = false;

  claimRecorded(_transaction: SqlTransaction, requests: RecordedRequest[]) {
    this.sent.push(requests.map((request) => request.request_id));
    const claimed = requests.map((request) => ({ id: request.id, requestId: request.request_id }) as ClaimedRequest);
    return afterCommit(Promise.resolve(claimed), () => this.committed);
  }
}

const transaction = {} as SqlTransaction;
const recorded = (...requestIds: string[]) =>
  requestIds.map((requestId) => ({ id: `row-${requestId}`, request_id: requestId }) as RecordedRequest);

function intakeClaims(freeSlots: number) {
  const worker = new SlotsWorker(freeSlots);
  const claims = new TransactionClaims();
  return { worker, claims, intake: new IntakeClaims(worker as unknown as SubmissionWorker, claims as unknown as RequestClaims) };
}

describe('IntakeClaims', () => {
  it('claims as many of the requests as there are free call slots, and starts their calls once the transaction committed', async () => {
    const { worker, claims, intake } = intakeClaims(2);
    const claim = intake.open();
    expect(claim.claimIn(transaction, recorded('a', 'b', 'c'))).toBe(2);
    expect(claims.sent).toEqual([['a', 'b']]);
    expect(worker.reserved).toBe(2);
    claims.committed = true;
    expect(await claim.startCalls()).toBe(2);
    claim.release();
    expect(worker.started).toEqual(['a', 'b']);
    expect(worker.reserved).toBe(0);
  });

  it('sends no claim without a free call slot', async () => {
    const { claims, intake } = intakeClaims(0);
    const claim = intake.open();
    expect(claim.claimIn(transaction, recorded('a'))).toBe(0);
    expect(claims.sent).toEqual([]);
    expect(await claim.startCalls()).toBe(0);
    claim.release();
  });

  it('gives the slots back and starts nothing when the transaction failed', async () => {
    const { worker, intake } = intakeClaims(2);
    const claim = intake.open();
    claim.claimIn(transaction, recorded('a'));
    await expect(claim.startCalls()).rejects.toThrow('rows read before their transaction committed');
    claim.release();
    expect(worker.started).toEqual([]);
    expect(worker.reserveCallSlots(2).slots).toBe(2);
  });

  it('is released harmlessly when the transaction failed before it claimed anything', () => {
    const { worker, intake } = intakeClaims(1);
    intake.open().release();
    expect(worker.reserved).toBe(0);
  });

  it('claims once per transaction', () => {
    const { intake } = intakeClaims(2);
    const claim = intake.open();
    claim.claimIn(transaction, recorded('a'));
    expect(() => claim.claimIn(transaction, recorded('b'))).toThrow('once per transaction');
  });
});
