/**
 * Calls the simulator will process after their connection was dropped (`processAfterDropMs`):
 * the provider received them, the client saw the connection break, and the task appears later.
 */
export class LateCalls {
  private timers = new Set<NodeJS.Timeout>();

  /** Runs `run` after `delayMs`, unless cancelled first. */
  schedule(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
  }

  /** How many are still waiting to be processed. */
  get waiting(): number {
    return this.timers.size;
  }

  /** Forgets every call still waiting (it will never be processed); returns how many there were. */
  cancelAll(): number {
    const cancelled = this.timers.size;
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers = new Set();
    return cancelled;
  }
}
