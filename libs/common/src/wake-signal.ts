/**
 * Lets a polling loop sleep until either its poll interval passes or someone has new work
 * for it (`wake()`), whichever comes first. A wake with nobody waiting is remembered, so
 * work announced between two polls is not missed.
 */
export class WakeSignal {
  private pendingWake = false;
  private release: (() => void) | null = null;

  /** Someone sleeps in wait() now: nothing happens until a wake() or the timeout. */
  get sleeping(): boolean {
    return this.release !== null;
  }

  wake(): void {
    if (this.release) {
      this.release();
    } else {
      this.pendingWake = true;
    }
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.release = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.release = done;
    });
  }
}
