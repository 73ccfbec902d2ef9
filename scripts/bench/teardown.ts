import { say } from './bench-log.js';

/**
 * What the benchmark started, stopped in reverse order at the end, after a failure and on
 * Ctrl-C. Each step is tried even when an earlier one fails.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private running: Promise<void> | null = null;

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Runs once; later calls wait for the same run. */
  runAll(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        say(`stopping ${step.name} failed: ${(error as Error).message}`);
      }
    }
  }
}
