import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../scripts/support/wait-for.js';
import type { AppConfig } from '../config/app-config.js';
import type { LogContext } from '../logging/log-context.js';
import type { FlowMetrics } from '../metrics/flow-metrics.js';
import { FlowProgress } from '../requests/flow-progress.js';
import { PendingWorkSignal } from '../requests/pending-work-signal.js';
import type { ClaimedRequest } from './claimed-request.js';
import type { ProviderCallBudget } from './provider-call-budget.js';
import type { RequestClaims } from './request-claims.js';
import type { SubmissionProcessor } from './submission.processor.js';
import { SubmissionWorker } from './submission.worker.js';

const CONCURRENCY = 2;

/** A gate the test opens: everything waiting on it goes on. */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

/**
 * A processor whose provider calls and result commits end when the test says so; it counts the
 * calls under way and the results waiting, as the provider and the database would see them.
 */
class ControlledProcessor {
  readonly callGates = new Map<string, Gate>();
  readonly commit = new Gate();
  calling = 0;
  mostCallsAtOnce = 0;
  waitingForCommit = 0;
  finished = 0;

  gateOf(requestId: string): Gate {
    if (!this.callGates.has(requestId)) this.callGates.set(requestId, new Gate());
    return this.callGates.get(requestId)!;
  }

  async process(request: ClaimedRequest, _trace: unknown, callsEnded: () => void) {
    this.calling += 1;
    this.mostCallsAtOnce = Math.max(this.mostCallsAtOnce, this.calling);
    await this.gateOf(request.requestId).opened;
    this.calling -= 1;
    callsEnded();
    this.waitingForCommit += 1;
    await this.commit.opened;
    this.waitingForCommit -= 1;
    this.finished += 1;
    return { kind: 'complete' };
  }
}

function pendingRequests(count: number): ClaimedRequest[] {
  return Array.from(
    { length: count },
    (_, n) => ({ requestId: `req-${n}`, keyId: n, traceParent: null, traceState: null }) as ClaimedRequest,
  );
}

describe('SubmissionWorker call slots', () => {
  let worker: SubmissionWorker;
  let processor: ControlledProcessor;
  let pending: ClaimedRequest[];
  let claimed: number;
  /** How often the worker has gone to sleep until its next poll: it looked for work and stopped. */
  let idleWaits: number;

  /** Lets the worker look for work a few more times: whatever it would claim, it has claimed then. */
  async function letItPoll(times = 3): Promise<void> {
    const until = idleWaits + times;
    await waitFor(`${times} more polls`, () => idleWaits >= until || undefined, 2_000, 5);
  }

  let limitsCalls = false;

  function startWorker(requests: number): void {
    pending = pendingRequests(requests);
    claimed = 0;
    idleWaits = 0;
    processor = new ControlledProcessor();
    const claims = {
      claim: async (limit: number) => {
        const batch = pending.splice(0, limit);
        claimed += batch.length;
        return batch;
      },
    };
    const budget = {
      get limitsCalls() {
        return limitsCalls;
      },
      claimWithin: async (limit: number, claim: (granted: number) => Promise<ClaimedRequest[]>) => ({
        claimed: await claim(limit),
        retryInMs: null,
      }),
    };
    const submission = {
      concurrency: CONCURRENCY,
      get pollIntervalMs() {
        idleWaits += 1;
        return 10;
      },
    };
    const config = { submission };
    const logContext = { run: <T>(_fields: unknown, work: () => T) => work() };
    worker = new SubmissionWorker(
      config as unknown as AppConfig,
      claims as unknown as RequestClaims,
      processor as unknown as SubmissionProcessor,
      new PendingWorkSignal(),
      budget as unknown as ProviderCallBudget,
      logContext as unknown as LogContext,
      new FlowProgress(),
      { databaseFailed: () => undefined } as unknown as FlowMetrics,
    );
    worker.start();
  }

  afterEach(async () => {
    limitsCalls = false;
    processor.commit.release();
    processor.callGates.forEach((gate) => gate.release());
    await worker.stop(1_000);
  });

  it('never has more than SUBMISSION_CONCURRENCY provider calls under way', async () => {
    startWorker(10);
    await waitFor('two calls under way', () => processor.calling === CONCURRENCY || undefined, 2_000, 5);
    await letItPoll();
    expect(processor.calling).toBe(CONCURRENCY);
    expect(claimed).toBe(CONCURRENCY);
    processor.commit.release();
    for (let n = 0; n < 10; n += 1) processor.gateOf(`req-${n}`).release();
    await waitFor('all ten finished', () => processor.finished === 10 || undefined, 2_000, 5);
    expect(processor.mostCallsAtOnce).toBe(CONCURRENCY);
  });

  it('gives a slot to the next request once a call ends, while its result waits for the commit', async () => {
    startWorker(10);
    await waitFor('two calls under way', () => processor.calling === CONCURRENCY || undefined, 2_000, 5);
    processor.gateOf('req-0').release();
    processor.gateOf('req-1').release();
    await waitFor('two more calls under way', () => (processor.calling === CONCURRENCY && claimed === 4) || undefined, 2_000, 5);
    expect(processor.waitingForCommit).toBe(2);
  });

  it('stops claiming while more than SUBMISSION_CONCURRENCY results wait for their commit', async () => {
    startWorker(10);
    // Calls end at once, commits never (until the test ends): the waiting results fill up.
    for (let n = 0; n < 10; n += 1) processor.gateOf(`req-${n}`).release();
    await waitFor('results waiting', () => processor.waitingForCommit >= CONCURRENCY + 1 || undefined, 2_000, 5);
    await letItPoll();
    // Two calls' results, then two more claimed in their slots: no further claim until a commit.
    expect(processor.waitingForCommit).toBe(2 * CONCURRENCY);
    expect(claimed).toBe(2 * CONCURRENCY);
    processor.commit.release();
    await waitFor('all ten finished', () => processor.finished === 10 || undefined, 2_000, 5);
  });

  describe('slots set aside for requests intake claims', () => {
    const claimedAtIntake = (count: number) =>
      Array.from(
        { length: count },
        (_, n) => ({ requestId: `new-${n}`, keyId: 100 + n, traceParent: null, traceState: null }) as ClaimedRequest,
      );

    it('sets aside only free slots, starts the claimed requests in them, and gives back the rest', async () => {
      startWorker(0);
      const first = worker.reserveCallSlots(1);
      const second = worker.reserveCallSlots(5);
      expect([first.slots, second.slots]).toEqual([1, CONCURRENCY - 1]);
      expect(worker.reserveCallSlots(1).slots).toBe(0);
      first.release(); // intake's transaction failed: nothing was claimed
      second.start(claimedAtIntake(1));
      second.release();
      await waitFor('the claimed request calling', () => processor.calling === 1 || undefined, 2_000, 5);
      // One call under way: one slot free again for the next batch.
      expect(worker.reserveCallSlots(3).slots).toBe(1);
    });

    it('keeps the slots of requests intake claimed out of its own claims', async () => {
      startWorker(0);
      const reservation = worker.reserveCallSlots(CONCURRENCY);
      pending.push(...pendingRequests(3));
      await letItPoll();
      expect(claimed).toBe(0);
      reservation.release();
      await waitFor('the worker claiming again', () => claimed === CONCURRENCY || undefined, 2_000, 5);
    });

    it('sets none aside when stopped or when a provider call budget must grant every call', async () => {
      limitsCalls = true;
      startWorker(0);
      expect(worker.reserveCallSlots(1).slots).toBe(0);
      limitsCalls = false;
      await worker.stop(1_000);
      expect(worker.reserveCallSlots(1).slots).toBe(0);
    });
  });
});
