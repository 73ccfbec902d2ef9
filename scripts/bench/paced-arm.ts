import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { waitFor } from '../support/wait-for.js';
import { statementsPerRequest, waitUntilOutboxPublished } from './bench-database.js';
import type pg from 'pg';
import { armDatabaseName, createArmTopics, startContender, type ArmTopics, type BenchContext, type Contender } from './bench-context.js';
import type { BenchDatabase } from './bench-database.js';
import type { BenchProcess } from './bench-process.js';
import { say } from './bench-log.js';
import { startCpuWindow } from './cpu-usage.js';
import { prefill, sendPaced, type BenchRequest } from './bench-requests.js';
import { followOutcomes } from './outcome-progress.js';
import { OutcomeWatcher } from './outcome-watcher.js';
import { latencyRecords, writeLatencyDump } from './latency-dump.js';
import { stageDurations, stagePercentile, stageTimes, type LatencyStages } from './latency-stages.js';
import { pacedSlices, type PacedSlice } from './paced-slices.js';
import { fullCollectionTimes, summariseSlowClusters, type SlowClusterSummary } from './slow-clusters.js';
import { percentile } from './statistics.js';

/** Who takes turns in the paced arm: the durable floor shows what the guarantees alone cost. */
const PACED_CONTENDERS: readonly Contender[] = ['naive', 'floor', 'service'];

/** Requests sent at once before the paced ones, to wait until the contender consumes (not measured). */
const FIRST_REQUESTS = 20;

export interface PacedResult {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  failedOutcomes: number;
  /** The service only: medians of its stages, from the database's timestamps. */
  stages?: LatencyStages;
  /** The service only: statements per paced request (pg_stat_statements), at a load where little is batched. */
  statementsPerRequest?: number;
  /** The contender's CPU time (user + system) during its turns (first request to last outcome of each), per request: idle work included. */
  cpuMsPerRequest: number;
  /** During its turns: CPUs the whole machine kept busy on average (of `availableParallelism()`), and stolen by the hypervisor. */
  machineBusyCores: number;
  machineStealCores: number;
  /** During its turns, per request: the broker's CPU time, and the PostgreSQL server's (postmaster and backends). */
  brokerCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  /** The service run with `--trace-gc` (BENCH_SERVICE_NODE_ARGS) only: its slow requests against its full collections. */
  slowClusters?: SlowClusterSummary;
  /** Each measured request's latency in ms, in the order they were sent: the latency picture's data. */
  latenciesMs: number[];
}

/** One contender of the paced arm, running from the first slice to the last. */
interface PacedContender {
  contender: Contender;
  arm: string;
  topics: ArmTopics;
  database: { url: string; observer: pg.Client } | undefined;
  watcher: OutcomeWatcher;
  running: BenchProcess;
  requests: BenchRequest[];
  /** Requests it answered before the measured ones: the first few and the paced warm-up. */
  warmUpCount: number;
  appendedAt: Map<string, number>;
  statementsBefore: Awaited<ReturnType<BenchDatabase['statementCount']>> | undefined;
  /** Summed over this contender's own slices. */
  measured: { wallMs: number; cpuMs: number; busyCoreMs: number; stealCoreMs: number; brokerCpuMs: number; postgresCpuMs: number };
}

/**
 * A steady load below capacity: `rate` requests/s for `seconds` to each contender, one produce
 * call per request. The contenders run side by side and take turns (`pacedSlices`), so that
 * their latencies are measured over the same stretch of the machine's time; those not taking
 * their turn idle. Latency of a request = its outcome's LogAppendTime − its own
 * LogAppendTime (one broker clock).
 */
export async function runPacedArms(context: BenchContext): Promise<Record<Contender, PacedResult>> {
  const { pacedRate, pacedSeconds, pacedSliceSeconds } = context.settings;
  say(`paced: ${pacedRate} requests/s for ${pacedSeconds} s to each contender, taking turns every ${pacedSliceSeconds} s`);
  const contenders: PacedContender[] = [];
  try {
    for (const contender of PACED_CONTENDERS) {
      const paced = await startPacedContender(context, contender);
      contenders.push(paced); // stopped in `finally` from here on, also when its warm-up fails
      await warmUp(context, paced);
    }
    const byName = (name: Contender) => contenders.find((paced) => paced.contender === name)!;
    for (const slice of pacedSlices(pacedRate, pacedSeconds, pacedSliceSeconds, PACED_CONTENDERS)) {
      await runSlice(context, byName(slice.contender), slice);
    }
    return {
      naive: await pacedResult(context, byName('naive')),
      floor: await pacedResult(context, byName('floor')),
      service: await pacedResult(context, byName('service')),
    };
  } finally {
    for (const { running, watcher, database } of contenders) {
      await running.stop();
      await watcher.stop();
      await database?.observer.end();
    }
  }
}

/** Starts the contender on its own topics (and database). */
async function startPacedContender(context: BenchContext, contender: Contender): Promise<PacedContender> {
  const arm = `${contender}-paced`;
  const topics = await createArmTopics(context, arm);
  const databaseName = armDatabaseName(arm);
  // Only the service's database is observed (stage times, statements); the floor's is its own business.
  const database = contender === 'service' ? await context.database.createArmDatabase(databaseName) : undefined;
  const floorDatabaseUrl = contender === 'floor' ? await context.database.createEmptyDatabase(databaseName) : undefined;
  const watcher = await OutcomeWatcher.start(context.broker.kafka, `bench-${context.runId}-${arm}-watch`, topics.completed, topics.failed);
  const running = startContender(context, contender, arm, topics, database?.url ?? floorDatabaseUrl);
  return {
    contender,
    arm,
    topics,
    database,
    watcher,
    running,
    requests: context.requests.createMany(arm, context.settings.pacedRate * context.settings.pacedSeconds),
    warmUpCount: 0,
    appendedAt: new Map(),
    statementsBefore: undefined,
    measured: { wallMs: 0, cpuMs: 0, busyCoreMs: 0, stealCoreMs: 0, brokerCpuMs: 0, postgresCpuMs: 0 },
  };
}

/** Waits until the contender answers a few requests, then gives it the paced warm-up; counts its statements from there. */
async function warmUp(context: BenchContext, paced: PacedContender): Promise<void> {
  const { arm, topics, database, watcher, running } = paced;
  await prefill(context.broker.kafka, topics.requested, context.requests.createMany(arm, FIRST_REQUESTS));
  await waitFor(
    `${arm} to answer the first requests`,
    () => {
      running.assertRunning();
      return watcher.count >= FIRST_REQUESTS;
    },
    120_000,
  );
  // A fresh process answers its first few hundred requests slower while V8 compiles its hot code:
  // that is start-up (the backlog arm's first outcome measures it), not the steady load measured here.
  const { pacedRate, pacedWarmUpSeconds } = context.settings;
  const warmUpRequests = context.requests.createMany(arm, pacedRate * pacedWarmUpSeconds);
  if (warmUpRequests.length > 0) {
    say(`${arm}: warm-up (not measured), ${pacedRate} requests/s for ${pacedWarmUpSeconds} s`);
    await sendPaced(context.broker.kafka, topics.requested, warmUpRequests, pacedRate);
  }
  paced.warmUpCount = FIRST_REQUESTS + warmUpRequests.length;
  await followOutcomes(running, watcher, paced.warmUpCount);
  if (database) {
    await waitUntilOutboxPublished(database.observer, paced.warmUpCount, 60_000, () => running.assertRunning());
    paced.statementsBefore = await context.database.statementCount(armDatabaseName(arm));
  }
}

/** The contender's turn: its requests of the slice, paced, then until all their outcomes are in. */
async function runSlice(context: BenchContext, paced: PacedContender, slice: PacedSlice): Promise<void> {
  const startedAt = performance.now();
  const cpuBefore = paced.running.sample().cpuMs;
  const endCpuWindow = startCpuWindow({ broker: context.broker.pid(), postgres: context.database.serverPid() }, availableParallelism());
  const requests = paced.requests.slice(slice.from, slice.to);
  const appendedAt = await sendPaced(context.broker.kafka, paced.topics.requested, requests, context.settings.pacedRate);
  for (const [requestId, time] of appendedAt) paced.appendedAt.set(requestId, time);
  await followOutcomes(paced.running, paced.watcher, paced.warmUpCount + slice.to);
  const around = endCpuWindow();
  const wallMs = performance.now() - startedAt;
  const measured = paced.measured;
  measured.wallMs += wallMs;
  measured.cpuMs += paced.running.sample().cpuMs - cpuBefore;
  measured.busyCoreMs += around.machine.busyCores * wallMs;
  measured.stealCoreMs += around.machine.stealCores * wallMs;
  measured.brokerCpuMs += around.brokerCpuMs;
  measured.postgresCpuMs += around.postgresCpuMs;
}

async function pacedResult(context: BenchContext, paced: PacedContender): Promise<PacedResult> {
  const { arm, database, watcher, running, requests, appendedAt, measured, warmUpCount } = paced;
  let statements: ReturnType<typeof statementsPerRequest> | undefined;
  if (database && paced.statementsBefore) {
    await waitUntilOutboxPublished(database.observer, warmUpCount + requests.length, 60_000, () => running.assertRunning());
    const after = await context.database.statementCount(armDatabaseName(arm));
    statements = statementsPerRequest(paced.statementsBefore, after, requests.length);
  }

  const stages = database ? await stageTimes(database.observer, [...appendedAt.keys()]) : undefined;
  const durations = stages && stageDurations(stages, appendedAt);
  const latencies = requests.map((request) => watcher.outcomeTimeOf(request.requestId)! - appendedAt.get(request.requestId)!);
  if (context.settings.latencyDumpDir) {
    const records = latencyRecords(appendedAt, (requestId) => watcher.outcomeTimeOf(requestId)!, stages);
    say(`${arm}: each request's moments in ${writeLatencyDump(context.settings.latencyDumpDir, arm, records)}`);
  }
  const result: PacedResult = {
    requests: requests.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    failedOutcomes: watcher.failedCount,
    stages: durations && stagePercentile(durations, 50),
    statementsPerRequest: statements?.statementsPerRequest,
    cpuMsPerRequest: measured.cpuMs / requests.length,
    machineBusyCores: measured.busyCoreMs / measured.wallMs,
    machineStealCores: measured.stealCoreMs / measured.wallMs,
    brokerCpuMsPerRequest: measured.brokerCpuMs / requests.length,
    postgresCpuMsPerRequest: measured.postgresCpuMs / requests.length,
    latenciesMs: latencies,
  };
  if (database && context.settings.serviceNodeArgs.includes('--trace-gc')) {
    result.slowClusters = slowClustersAgainstCollections(paced, latencies);
  }
  sayPacedResult(arm, result, durations, statements);
  return result;
}

/** The arm's result on the progress output, with what the table leaves out (stage p99s, statements by kind). */
function sayPacedResult(
  arm: string,
  result: PacedResult,
  durations: ReturnType<typeof stageDurations> | undefined,
  statements: ReturnType<typeof statementsPerRequest> | undefined,
): void {
  say(`${arm}: p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms; ${result.cpuMsPerRequest.toFixed(2)} CPU ms per request`);
  if (result.slowClusters) {
    const { slowRequests, clusters, nearFullCollection, fullCollections } = result.slowClusters;
    say(
      `${arm}: ${slowRequests} requests of 20 ms or more, in ${clusters} clusters; ${nearFullCollection} of these next to ` +
        `one of its ${fullCollections} full garbage collections (--trace-gc)`,
    );
  }
  say(
    `${arm}: during its turns the machine kept ${result.machineBusyCores.toFixed(2)} of ${availableParallelism()} CPUs busy ` +
      `(${result.machineStealCores.toFixed(2)} stolen); CPU ms per request of the broker ${result.brokerCpuMsPerRequest.toFixed(2)}, ` +
      `of PostgreSQL ${result.postgresCpuMsPerRequest.toFixed(2)}`,
  );
  if (durations) {
    say(`${arm}: median stages (ms) ${JSON.stringify(result.stages)}`);
    say(`${arm}: p99 of each stage (ms) ${JSON.stringify(stagePercentile(durations, 99))}`);
  }
  if (statements) {
    const top = statements.statementBreakdown
      .slice(0, 12)
      .map(([query, perRequest]) => `${perRequest.toFixed(2)} ${query.replace(/\s+/g, ' ').slice(0, 90)}`);
    say(`${arm}: ${statements.statementsPerRequest.toFixed(1)} statements per request:\n  ${top.join('\n  ')}`);
  }
}

/** Its mark-compacts from the `--trace-gc` lines of its log, against its paced requests' latencies. */
function slowClustersAgainstCollections(paced: PacedContender, latencies: number[]): SlowClusterSummary {
  const collectionsAt = fullCollectionTimes(readFileSync(paced.running.logFile, 'utf8')).map((ms) => paced.running.startedAt + ms);
  const requests = paced.requests.map((request, index) => ({
    appendedAt: paced.appendedAt.get(request.requestId)!,
    latencyMs: latencies[index]!,
  }));
  return summariseSlowClusters(requests, collectionsAt);
}
