/** At most `limit` calls per clock second (fixed windows); a limit of 0 lets everything through. */
export class RateLimiter {
  private windowSecond = -1;
  private callsInWindow = 0;

  tryAcquire(limit: number, nowMs: number): boolean {
    if (limit <= 0) return true;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.windowSecond) {
      this.windowSecond = second;
      this.callsInWindow = 0;
    }
    this.callsInWindow += 1;
    return this.callsInWindow <= limit;
  }

  reset(): void {
    this.windowSecond = -1;
    this.callsInWindow = 0;
  }
}
