/**
 * `npm run bench`: the throughput benchmark of docs/performance.md, in one run with no setup.
 * Starts its own Kafka broker (scripts/kafka.sh), PostgreSQL server and provider simulator,
 * then runs, on fresh topics each: the naive relay and the service on a pre-filled backlog,
 * both at a paced rate, and the service's outbox drain. Prints a markdown table and writes it
 * to .run/bench/result.md. Everything started is stopped at the end, on failure and on Ctrl-C.
 * Settings: BENCH_REQUESTS (20000), BENCH_PACED_RATE (100), BENCH_PACED_SECONDS (20),
 * BENCH_SERVICE_ENV ("NAME=value ..."), BENCH_SERVICE_NODE_ARGS (node flags for the service, e.g.
 * "--trace-gc"; they come after the image's NODE_OPTIONS, which the service always runs with, and
 * win over them), BENCH_PARTITIONS (3), BENCH_NAIVE_CONCURRENCY (3),
 * BENCH_WARM_UP_REQUESTS (5000: a first, unmeasured naive run that warms the broker up),
 * BENCH_PROFILE (false: profile the service of the backlog arm), BENCH_ARMS (backlog,paced,drain: a
 * partial run prints its results and writes no report), KAFKA_PORT (19892; the controller
 * uses the next port).
 * Beside the report it draws the run's pictures from its own data (throughput.svg, latency.svg,
 * bench-charts.ts) and keeps that data (chart-data.json) for `npm run bench:charts` to draw again.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/private-postgres.js';
import { runBacklogArm } from './backlog-arm.js';
import { BenchBroker } from './bench-broker.js';
import { PROFILE_DIR, type BenchContext } from './bench-context.js';
import { BenchDatabase } from './bench-database.js';
import { say } from './bench-log.js';
import { BenchProcess } from './bench-process.js';
import { RequestFactory } from './bench-requests.js';
import { readBenchSettings, type BenchArm } from './bench-settings.js';
import { benchChartData } from './bench-charts.js';
import { drawBenchCharts, writeChartData } from './chart-files.js';
import { readImageNodeOptions } from './image-node-options.js';
import { runDrainArm } from './drain-arm.js';
import { currentLoad, describeMachine } from './machine.js';
import { runPacedArms } from './paced-arm.js';
import { renderReport } from './report.js';
import { Teardown } from './teardown.js';

const BENCH_DIR = '.run/bench';

process.chdir(fileURLToPath(new URL('../../..', import.meta.url)));
const teardown = new Teardown();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything the benchmark started`);
    void teardown.runAll().finally(() => process.exit(130));
  });
}

try {
  await main();
  await teardown.runAll();
} catch (error) {
  say(`failed: ${(error as Error).message}`);
  await teardown.runAll();
  process.exit(1);
}

async function main(): Promise<void> {
  const settings = readBenchSettings(process.env);
  const machine = describeMachine();
  const logDir = `${BENCH_DIR}/logs`;
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  say(`logs of every process: ${logDir}/`);
  if (settings.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }

  const broker = new BenchBroker(settings.kafkaPort, `${process.cwd()}/${BENCH_DIR}/kafka`);
  teardown.add('Kafka', () => broker.stop());
  await broker.start();

  say('starting PostgreSQL (settings as installed, plus pg_stat_statements)');
  const database = await BenchDatabase.start();
  teardown.add('PostgreSQL', () => database.stop(`${logDir}/postgres.log`));

  const simulator = { url: '', apiKey: 'bench-api-key', apiSecret: randomBytes(16).toString('hex') };
  const simulatorPort = await freePort(18490);
  const simulatorProcess = BenchProcess.start(
    'simulator',
    'dist/apps/itniotech-simulator/src/main.js',
    {
      SIMULATOR_PORT: String(simulatorPort),
      SIMULATOR_API_KEY: simulator.apiKey,
      SIMULATOR_API_SECRET: simulator.apiSecret,
      SIMULATOR_LOG_CALLS: 'false',
      SIMULATOR_CALL_HISTORY_LIMIT: '100',
    },
    `${logDir}/simulator.log`,
  );
  // Runs first: the contender of an interrupted arm and the simulator, before the broker and the database.
  teardown.add('child processes', () => BenchProcess.stopAll());
  await simulatorProcess.waitForLog(/listening on/, 60_000);
  simulator.url = `http://127.0.0.1:${simulatorPort}`;
  say(`simulator on ${simulator.url}`);

  const runId = randomBytes(3).toString('hex');
  const context: BenchContext = {
    settings,
    runId,
    broker,
    database,
    simulator,
    requests: new RequestFactory(runId, 100_000_000_000 + randomInt(0, 800_000) * 1_000_000),
    logDir,
    serviceNodeOptions: readImageNodeOptions(),
  };

  const runs = (arm: BenchArm) => settings.arms.includes(arm);
  if (settings.warmUpRequests > 0) {
    // A fresh broker (and the simulator) run slower until the JVM has compiled its hot code: without
    // this, whichever arm comes first — the naive relay — is measured on a cold broker.
    say(`warm-up (not measured): the naive relay on ${settings.warmUpRequests.toLocaleString('en-US')} requests`);
    await runBacklogArm(context, 'naive', { arm: 'warm-up', n: settings.warmUpRequests });
  }
  const backlog = runs('backlog')
    ? { naive: await runBacklogArm(context, 'naive'), service: await runBacklogArm(context, 'service') }
    : null;
  const paced = runs('paced') ? await runPacedArms(context) : null;
  const drain = runs('drain') ? await runDrainArm(context) : null;
  if (!backlog || !paced || !drain) {
    say(`partial run (BENCH_ARMS=${settings.arms.join(',')}): no report written`);
    process.stdout.write(`${JSON.stringify({ backlog, paced, drain }, withoutPerRequestData, 2)}\n`);
    return;
  }

  const report = renderReport({
    machine,
    postgresVersion: await database.version(),
    kafkaVersion: broker.version(),
    loadAtEnd: currentLoad(),
    settings,
    serviceNodeOptions: context.serviceNodeOptions,
    backlog,
    paced,
    drain,
  });
  writeFileSync(`${BENCH_DIR}/result.md`, report);
  process.stdout.write(`\n${report}\n`);
  say(`written to ${BENCH_DIR}/result.md`);
  writeChartData(BENCH_DIR, benchChartData(machine, backlog, paced));
  for (const file of await drawBenchCharts(BENCH_DIR)) say(`drawn: ${file}`);
}

/** The per-request arrays the pictures are drawn from are too long to print. */
function withoutPerRequestData(key: string, value: unknown): unknown {
  return key === 'outcomesAfterStartMs' || key === 'latenciesMs' ? `(${(value as unknown[]).length} values)` : value;
}
