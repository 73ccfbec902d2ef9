import { say } from './bench-log.js';
import type { BenchProcess, ProcessSample } from './bench-process.js';
import { prefill } from './bench-requests.js';
import { armDatabaseName, createArmTopics, startContender, type BenchContext, type Contender } from './bench-context.js';
import { stageRates, waitUntilOutboxPublished, type StageRates } from './bench-database.js';
import { OutcomeWatcher } from './outcome-watcher.js';
import { perSecond } from './statistics.js';

/** RSS is compared after this many outcomes and after all of them (the no-growth target). */
export const EARLY_RSS_AFTER = 2_000;

export interface BacklogResult {
  requests: number;
  requestsPerSecond: number | undefined;
  /** From the process start to the first outcome: start-up and joining the group. */
  firstOutcomeAfterMs: number;
  failedOutcomes: number;
  cpuMsPerRequest: number | undefined;
  rssEarlyBytes: number;
  rssFinalBytes: number;
  /** Only for the service. */
  stages?: StageRates;
  statementsPerRequest?: number;
  /** Statement text → calls per request, most frequent first. */
  statementBreakdown?: [string, number][];
}

interface ProgressPoint extends ProcessSample {
  outcomes: number;
}

/**
 * N valid requests are on the requested topic before the contender starts; requests/s is
 * N / (time from its start to the N-th outcome's LogAppendTime).
 */
export async function runBacklogArm(context: BenchContext, contender: Contender): Promise<BacklogResult> {
  const n = context.settings.requests;
  const arm = `${contender}-backlog`;
  say(`${arm}: ${n.toLocaleString('en-US')} requests on ${context.settings.partitions} partitions`);
  const topics = await createArmTopics(context, arm);
  const databaseName = armDatabaseName(arm);
  const database = contender === 'service' ? await context.database.createArmDatabase(databaseName) : undefined;
  await prefill(context.broker.kafka, topics.requested, context.requests.createMany(arm, n));
  const watcher = await OutcomeWatcher.start(context.broker.kafka, `bench-${context.runId}-${arm}-watch`, topics.completed, topics.failed);
  const statementsBefore = database ? await context.database.statementCount(databaseName) : undefined;

  const startedAt = Date.now();
  const running = startContender(context, contender, arm, topics, database?.url);
  try {
    const progress = await followUntilOutcomes(running, watcher, n);
    const result: BacklogResult = {
      requests: n,
      requestsPerSecond: perSecond(n, watcher.lastOutcomeAt - startedAt),
      firstOutcomeAfterMs: watcher.firstOutcomeAt - startedAt,
      failedOutcomes: watcher.failedCount,
      cpuMsPerRequest: progress.first.outcomes < progress.last.outcomes
        ? (progress.last.cpuMs - progress.first.cpuMs) / (progress.last.outcomes - progress.first.outcomes)
        : undefined,
      rssEarlyBytes: progress.early.rssBytes,
      rssFinalBytes: progress.last.rssBytes,
    };
    if (database && statementsBefore) {
      say(`${arm}: waiting for the last outbox rows to be marked published`);
      await waitUntilOutboxPublished(database.observer, n, 60_000, () => running.assertRunning());
      const statementsAfter = await context.database.statementCount(databaseName);
      result.statementsPerRequest = (statementsAfter.calls - statementsBefore.calls) / n;
      result.statementBreakdown = [...statementsAfter.byStatement]
        .map(([query, calls]): [string, number] => [query, (calls - (statementsBefore.byStatement.get(query) ?? 0)) / n])
        .filter(([, perRequest]) => perRequest > 0)
        .sort((a, b) => b[1] - a[1]);
      result.stages = await stageRates(database.observer);
    }
    say(`${arm}: ${result.requestsPerSecond?.toFixed(1)} requests/s`);
    return result;
  } finally {
    await running.stop();
    await watcher.stop();
    await database?.observer.end();
  }
}

/** A run fails when no new outcome arrives for this long (a stall), or when the whole run exceeds its cap. */
const STALL_TIMEOUT_MS = 60_000;

/**
 * Samples the process (CPU, RSS) and the outcome count every 200 ms until `n` outcomes. CPU per
 * request is taken between the first and the last sample with outcomes, so that start-up is
 * left out. Deadlines: no progress for STALL_TIMEOUT_MS, or more than 60 s + 50 ms per request
 * in all (a rate below 20/s means something is wrong, even on a busy machine).
 */
async function followUntilOutcomes(
  running: BenchProcess,
  watcher: OutcomeWatcher,
  n: number,
): Promise<{ first: ProgressPoint; early: ProgressPoint; last: ProgressPoint }> {
  const deadline = Date.now() + 60_000 + n * 50;
  let first: ProgressPoint | undefined;
  let early: ProgressPoint | undefined;
  let lastReportAt = Date.now();
  let progressAt = Date.now();
  let previous = 0;
  for (;;) {
    running.assertRunning();
    const outcomes = watcher.count;
    const point = { ...running.sample(), outcomes };
    if (outcomes > 0) first ??= point;
    if (outcomes >= Math.min(EARLY_RSS_AFTER, n)) early ??= point;
    if (outcomes >= n) return { first: first!, early: early!, last: point };
    if (outcomes > previous) [previous, progressAt] = [outcomes, Date.now()];
    if (Date.now() - progressAt >= STALL_TIMEOUT_MS) {
      throw new Error(`${running.name}: no new outcome for ${STALL_TIMEOUT_MS / 1000} s (${outcomes} of ${n}); see ${running.logFile}`);
    }
    if (Date.now() >= deadline) throw new Error(`${running.name}: only ${outcomes} of ${n} outcomes in time; see ${running.logFile}`);
    if (Date.now() - lastReportAt >= 5_000) {
      say(`${running.name}: ${outcomes.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} outcomes`);
      lastReportAt = Date.now();
    }
    // Sampling interval of the measurement, not a synchronisation.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
