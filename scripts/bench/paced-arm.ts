import { availableParallelism } from 'node:os';
import { waitFor } from '../support/wait-for.js';
import { statementsPerRequest, waitUntilOutboxPublished } from './bench-database.js';
import { armDatabaseName, createArmTopics, startContender, type BenchContext, type Contender } from './bench-context.js';
import { say } from './bench-log.js';
import { startCpuWindow } from './cpu-usage.js';
import { prefill, sendPaced } from './bench-requests.js';
import { followOutcomes } from './outcome-progress.js';
import { OutcomeWatcher } from './outcome-watcher.js';
import { latencyRecords, writeLatencyDump } from './latency-dump.js';
import { stageDurations, stagePercentile, stageTimes, type LatencyStages } from './latency-stages.js';
import { percentile } from './statistics.js';

/** Requests sent before the paced ones, to wait until the contender consumes (not measured). */
const WARM_UP_REQUESTS = 20;

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
  /** The contender's CPU time (user + system) from the first paced request to the last outcome, per request: idle work included. */
  cpuMsPerRequest: number;
  /** Over the same window: CPUs the whole machine kept busy on average (of `availableParallelism()`), and stolen by the hypervisor. */
  machineBusyCores: number;
  machineStealCores: number;
  /** Over the same window, per request: the broker's CPU time, and the PostgreSQL server's (postmaster and backends). */
  brokerCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
}

/**
 * A steady load below capacity: `rate` requests/s for `seconds`, one produce call each.
 * Latency of a request = its outcome's LogAppendTime − its own LogAppendTime (one broker clock).
 */
export async function runPacedArm(context: BenchContext, contender: Contender): Promise<PacedResult> {
  const { pacedRate, pacedSeconds } = context.settings;
  const arm = `${contender}-paced`;
  say(`${arm}: ${pacedRate} requests/s for ${pacedSeconds} s`);
  const topics = await createArmTopics(context, arm);
  const databaseName = armDatabaseName(arm);
  const database = contender === 'service' ? await context.database.createArmDatabase(databaseName) : undefined;
  const watcher = await OutcomeWatcher.start(context.broker.kafka, `bench-${context.runId}-${arm}-watch`, topics.completed, topics.failed);
  const running = startContender(context, contender, arm, topics, database?.url);
  try {
    await prefill(context.broker.kafka, topics.requested, context.requests.createMany(arm, WARM_UP_REQUESTS));
    await waitFor(
      `${arm} to answer the warm-up requests`,
      () => {
        running.assertRunning();
        return watcher.count >= WARM_UP_REQUESTS;
      },
      120_000,
    );

    const paced = context.requests.createMany(arm, pacedRate * pacedSeconds);
    if (database) await waitUntilOutboxPublished(database.observer, WARM_UP_REQUESTS, 60_000, () => running.assertRunning());
    const statementsBefore = database ? await context.database.statementCount(databaseName) : undefined;
    const cpuBefore = running.sample().cpuMs;
    const endCpuWindow = startCpuWindow({ broker: context.broker.pid(), postgres: context.database.serverPid() }, availableParallelism());
    const appendedAt = await sendPaced(context.broker.kafka, topics.requested, paced, pacedRate);
    await followOutcomes(running, watcher, WARM_UP_REQUESTS + paced.length);
    const cpuMsPerRequest = (running.sample().cpuMs - cpuBefore) / paced.length;
    const around = endCpuWindow();
    let statements: ReturnType<typeof statementsPerRequest> | undefined;
    if (database && statementsBefore) {
      await waitUntilOutboxPublished(database.observer, WARM_UP_REQUESTS + paced.length, 60_000, () => running.assertRunning());
      statements = statementsPerRequest(statementsBefore, await context.database.statementCount(databaseName), paced.length);
    }

    const stages = database ? await stageTimes(database.observer, [...appendedAt.keys()]) : undefined;
    const durations = stages && stageDurations(stages, appendedAt);
    const latencies = paced.map((request) => watcher.outcomeTimeOf(request.requestId)! - appendedAt.get(request.requestId)!);
    if (context.settings.latencyDumpDir) {
      const records = latencyRecords(appendedAt, (requestId) => watcher.outcomeTimeOf(requestId)!, stages);
      say(`${arm}: each request's moments in ${writeLatencyDump(context.settings.latencyDumpDir, arm, records)}`);
    }
    const result = {
      requests: paced.length,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      failedOutcomes: watcher.failedCount,
      stages: durations && stagePercentile(durations, 50),
      statementsPerRequest: statements?.statementsPerRequest,
      cpuMsPerRequest,
      machineBusyCores: around.machine.busyCores,
      machineStealCores: around.machine.stealCores,
      brokerCpuMsPerRequest: around.brokerCpuMs / paced.length,
      postgresCpuMsPerRequest: around.postgresCpuMs / paced.length,
    };
    say(`${arm}: p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms; ${cpuMsPerRequest.toFixed(2)} CPU ms per request`);
    say(
      `${arm}: the machine kept ${result.machineBusyCores.toFixed(2)} of ${availableParallelism()} CPUs busy ` +
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
    return result;
  } finally {
    await running.stop();
    await watcher.stop();
    await database?.observer.end();
  }
}
