import { say } from './bench-log.js';
import type { BenchProcess } from './bench-process.js';
import type { OutcomeWatcher } from './outcome-watcher.js';

/** No new outcome for this long means the contender is stuck. */
const STALL_TIMEOUT_MS = 60_000;
/** The overall cap allows rates down to 10 requests/s: slow on a busy machine, but not stuck. */
const CAP_MS_PER_OUTCOME = 100;

/**
 * Waits until the watcher has `target` outcomes, checking every 200 ms; `onSample` sees each
 * count (the backlog arm samples CPU and memory there). Fails when the contender exits, when no
 * new outcome arrives for a minute, or after 60 s + 100 ms per expected outcome.
 */
export async function followOutcomes(
  running: BenchProcess,
  watcher: OutcomeWatcher,
  target: number,
  onSample: (outcomes: number) => void = () => undefined,
): Promise<void> {
  const cap = Date.now() + 60_000 + target * CAP_MS_PER_OUTCOME;
  let lastReportAt = Date.now();
  let progressAt = Date.now();
  let previous = -1;
  for (;;) {
    running.assertRunning();
    const outcomes = watcher.count;
    onSample(outcomes);
    if (outcomes >= target) return;
    if (outcomes > previous) [previous, progressAt] = [outcomes, Date.now()];
    if (Date.now() - progressAt >= STALL_TIMEOUT_MS) {
      throw new Error(
        `${running.name}: no new outcome for ${STALL_TIMEOUT_MS / 1000} s (${outcomes} of ${target}); see ${running.logFile}`,
      );
    }
    if (Date.now() >= cap) throw new Error(`${running.name}: only ${outcomes} of ${target} outcomes in time; see ${running.logFile}`);
    if (Date.now() - lastReportAt >= 5_000) {
      say(`${running.name}: ${outcomes.toLocaleString('en-US')} / ${target.toLocaleString('en-US')} outcomes`);
      lastReportAt = Date.now();
    }
    // The sampling interval of the measurement, not a synchronisation.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
