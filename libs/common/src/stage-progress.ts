/**
 * When a stage of the flow (intake, submission, the outbox relay) last made progress, and whether
 * work waits for it: a try of its work still running, or one that failed with no success since.
 * A stage that makes no progress for a while with work waiting is stalled (readiness and a
 * metric say so), whether its tries hang or keep failing. Each stage tries again by itself, so a
 * success after the cause is gone clears it: nothing has to be reset from outside.
 */
export class StageProgress {
  /** Tries in flight, by when each began. */
  private readonly tries = new Map<symbol, number>();
  /** When the first try failed that no success has followed; null while none has. */
  private failingSince: number | null = null;
  private lastProgressAt: number;

  constructor(
    readonly stage: string,
    private readonly now: () => number = Date.now,
  ) {
    this.lastProgressAt = now();
  }

  /** Runs one try of the stage's work: work waits while it runs, its success is progress, its failure leaves the work waiting. */
  async attempt<T>(work: () => Promise<T>): Promise<T> {
    const id = Symbol(this.stage);
    const startedAt = this.now();
    this.tries.set(id, startedAt);
    try {
      const result = await work();
      this.progressed();
      return result;
    } catch (error) {
      this.failingSince ??= startedAt;
      throw error;
    } finally {
      this.tries.delete(id);
    }
  }

  progressed(): void {
    this.lastProgressAt = this.now();
    this.failingSince = null;
  }

  /** The work that failed was given up (shutdown): nothing of it waits any more. */
  gaveUp(): void {
    this.failingSince = null;
  }

  /** How long work has waited without the stage making progress, in ms; 0 when no work waits. */
  waitingMs(): number {
    const waitingSince = [...this.tries.values(), ...(this.failingSince === null ? [] : [this.failingSince])];
    if (waitingSince.length === 0) return 0;
    return Math.max(0, this.now() - Math.max(Math.min(...waitingSince), this.lastProgressAt));
  }
}
