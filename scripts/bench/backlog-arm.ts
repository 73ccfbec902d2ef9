import { readdirSync, readFileSync, statSync } from 'node:fs';
import { say } from './bench-log.js';
import type { BenchProcess, ProcessSample } from './bench-process.js';
import { prefill } from './bench-requests.js';
import { armDatabaseName, createArmTopics, PROFILE_DIR, startContender, type BenchContext, type Contender } from './bench-context.js';
import { stageRates, statementsPerRequest, waitUntilOutboxPublished, type StageRates } from './bench-database.js';
import { followOutcomes } from './outcome-progress.js';
import { OutcomeWatcher } from './outcome-watcher.js';
import { summarizeProfile, type CpuProfile, type ProfileShare } from './profile-summary.js';
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
  /** With BENCH_PROFILE: the service's CPU time by owner. */
  profile?: ProfileShare[];
  /** Each outcome's time (LogAppendTime) in ms after the contender started, in order: the throughput picture's data. */
  outcomesAfterStartMs: number[];
}

interface ProgressPoint extends ProcessSample {
  outcomes: number;
}

/**
 * N valid requests are on the requested topic before the contender starts; requests/s is
 * N / (time from its start to the N-th outcome's LogAppendTime).
 */
export async function runBacklogArm(
  context: BenchContext,
  contender: Exclude<Contender, 'floor'>,
  { arm = `${contender}-backlog`, n = context.settings.requests }: { arm?: string; n?: number } = {},
): Promise<BacklogResult> {
  say(`${arm}: ${n.toLocaleString('en-US')} requests on ${context.settings.partitions} partitions`);
  const topics = await createArmTopics(context, arm);
  const databaseName = armDatabaseName(arm);
  const database = contender === 'service' ? await context.database.createArmDatabase(databaseName) : undefined;
  await prefill(context.broker.kafka, topics.requested, context.requests.createMany(arm, n));
  const watcher = await OutcomeWatcher.start(context.broker.kafka, `bench-${context.runId}-${arm}-watch`, topics.completed, topics.failed);
  const statementsBefore = database ? await context.database.statementCount(databaseName) : undefined;

  const profiling = context.settings.profile && contender === 'service';
  const nodeOptions = profiling ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const startedAt = Date.now();
  const running = startContender(context, contender, arm, topics, database?.url, {}, nodeOptions);
  let result: BacklogResult;
  try {
    const progress = await followUntilOutcomes(running, watcher, n);
    result = {
      requests: n,
      requestsPerSecond: perSecond(n, watcher.lastOutcomeAt - startedAt),
      firstOutcomeAfterMs: watcher.firstOutcomeAt - startedAt,
      failedOutcomes: watcher.failedCount,
      cpuMsPerRequest:
        progress.first.outcomes < progress.last.outcomes
          ? (progress.last.cpuMs - progress.first.cpuMs) / (progress.last.outcomes - progress.first.outcomes)
          : undefined,
      rssEarlyBytes: progress.early.rssBytes,
      rssFinalBytes: progress.last.rssBytes,
      outcomesAfterStartMs: watcher
        .outcomeTimes()
        .map((time) => time - startedAt)
        .sort((a, b) => a - b),
    };
    if (database && statementsBefore) {
      say(`${arm}: waiting for the last outbox rows to be marked published`);
      await waitUntilOutboxPublished(database.observer, n, 60_000, () => running.assertRunning());
      const statementsAfter = await context.database.statementCount(databaseName);
      Object.assign(result, statementsPerRequest(statementsBefore, statementsAfter, n));
      result.stages = await stageRates(database.observer);
    }
    say(`${arm}: ${result.requestsPerSecond?.toFixed(1)} requests/s`);
  } finally {
    await running.stop();
    await watcher.stop();
    await database?.observer.end();
  }
  // The profile is written when the process exits.
  if (profiling) result.profile = summarizeProfile(readNewestProfile(PROFILE_DIR));
  return result;
}

function readNewestProfile(directory: string): CpuProfile {
  const newest = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => ({ path: `${directory}/${name}`, modifiedMs: statSync(`${directory}/${name}`).mtimeMs }))
    .sort((a, b) => b.modifiedMs - a.modifiedMs)[0];
  if (!newest) throw new Error(`no .cpuprofile in ${directory}`);
  say(`service CPU profile: ${newest.path} (open it in Chrome DevTools or speedscope)`);
  return JSON.parse(readFileSync(newest.path, 'utf8')) as CpuProfile;
}

/**
 * Follows the arm to `n` outcomes, sampling the process (CPU, RSS) with each count. CPU per
 * request is taken between the first sample with an outcome and the sample with `n`, so that
 * start-up is left out.
 */
async function followUntilOutcomes(
  running: BenchProcess,
  watcher: OutcomeWatcher,
  n: number,
): Promise<{ first: ProgressPoint; early: ProgressPoint; last: ProgressPoint }> {
  let first: ProgressPoint | undefined;
  let early: ProgressPoint | undefined;
  let last: ProgressPoint | undefined;
  await followOutcomes(running, watcher, n, (outcomes) => {
    const point = { ...running.sample(), outcomes };
    if (outcomes > 0) first ??= point;
    if (outcomes >= Math.min(EARLY_RSS_AFTER, n)) early ??= point;
    last = point;
  });
  return { first: first!, early: early!, last: last! };
}
