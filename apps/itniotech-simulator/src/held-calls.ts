/** A call waiting for `POST /__simulator/release`. */
export interface HeldCall {
  seq: number;
  path: string;
  taskName: unknown;
  since: string;
}

/**
 * Holds answers until a test releases them, so a test can act (kill the client, restart a
 * service) while a call is provably in flight, without guessing a delay.
 */
export class HeldCalls {
  private held = new Map<HeldCall, () => void>();

  hold(call: Omit<HeldCall, 'since'>): Promise<void> {
    return new Promise((resolve) => this.held.set({ ...call, since: new Date().toISOString() }, resolve));
  }

  /** Lets every held call go on; returns how many there were. */
  releaseAll(): number {
    const released = [...this.held.values()];
    this.held = new Map();
    released.forEach((release) => release());
    return released.length;
  }

  list(): HeldCall[] {
    return [...this.held.keys()];
  }
}
