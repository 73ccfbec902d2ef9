import type { BenchBroker } from './bench-broker.js';
import type { BenchDatabase } from './bench-database.js';
import { BenchProcess } from './bench-process.js';
import type { RequestFactory } from './bench-requests.js';
import type { BenchSettings } from './bench-settings.js';

/** What every arm needs: the settings, the broker, the database server and the simulator. */
export interface BenchContext {
  settings: BenchSettings;
  /** Makes topic, group and database names of this run unique. */
  runId: string;
  broker: BenchBroker;
  database: BenchDatabase;
  simulator: { url: string; apiKey: string; apiSecret: string };
  requests: RequestFactory;
  logDir: string;
  /** NODE_OPTIONS of every service process: the image's (Dockerfile). */
  serviceNodeOptions: string;
}

/**
 * The things compared: the hand-rolled relay, the service, and (paced arm only) the durable floor —
 * the hand-rolled relay plus the two commits the service's guarantees require.
 */
export type Contender = 'naive' | 'floor' | 'service';

export interface ArmTopics {
  requested: string;
  completed: string;
  failed: string;
  deadLetter: string;
}

/** Fresh topics per arm, so that no arm sees another's messages or committed offsets. */
export async function createArmTopics(context: BenchContext, arm: string): Promise<ArmTopics> {
  const prefix = `bench.${context.runId}.${arm}`;
  const topics = {
    requested: `${prefix}.requested`,
    completed: `${prefix}.completed`,
    failed: `${prefix}.failed`,
    deadLetter: `${prefix}.dead-letter`,
  };
  await context.broker.createTopics(Object.values(topics), context.settings.partitions);
  return topics;
}

/** Starts the naive relay, the durable floor or the service (the built dist/ programs) on the arm's topics. */
export function startContender(
  context: BenchContext,
  contender: Contender,
  arm: string,
  topics: ArmTopics,
  databaseUrl?: string,
  extraServiceEnv: Record<string, string> = {},
  nodeOptions: string[] = [],
): BenchProcess {
  const groupId = `bench-${context.runId}-${arm}`;
  const logFile = `${context.logDir}/${arm}.log`;
  if (contender === 'naive' || contender === 'floor') {
    if (contender === 'floor' && !databaseUrl) throw new Error('the durable floor needs a database');
    return BenchProcess.start(
      arm,
      contender === 'naive' ? 'dist/scripts/bench/naive-relay.js' : 'dist/scripts/bench/durable-floor-relay.js',
      {
        DATABASE_URL: databaseUrl ?? '',
        KAFKA_BROKERS: context.broker.address,
        RELAY_GROUP_ID: groupId,
        RELAY_TOPIC_REQUESTED: topics.requested,
        RELAY_TOPIC_COMPLETED: topics.completed,
        RELAY_TOPIC_FAILED: topics.failed,
        RELAY_PARTITIONS_CONCURRENTLY: String(context.settings.naiveConcurrency),
        PROVIDER_URL: context.simulator.url,
        PROVIDER_API_KEY: context.simulator.apiKey,
        PROVIDER_API_SECRET: context.simulator.apiSecret,
      },
      logFile,
    );
  }
  if (!databaseUrl) throw new Error('the service needs a database');
  // The service's own defaults for everything else and the image's NODE_OPTIONS (as in production), then BENCH_SERVICE_ENV,
  // then what the arm itself needs (the drain arm turns submission off).
  return BenchProcess.start(
    arm,
    'dist/apps/resend-service/src/main.js',
    {
      INSTANCE_ID: arm,
      DATABASE_URL: databaseUrl,
      DATABASE_MIGRATIONS_RUN: 'false',
      HTTP_PORT: '0',
      KAFKA_BROKERS: context.broker.address,
      KAFKA_GROUP_ID: groupId,
      KAFKA_TOPIC_REQUESTED: topics.requested,
      KAFKA_TOPIC_COMPLETED: topics.completed,
      KAFKA_TOPIC_FAILED: topics.failed,
      KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
      KAFKA_TOPIC_PARTITIONS: String(context.settings.partitions),
      ITNIOTECH_BASE_URL: context.simulator.url,
      ITNIOTECH_API_KEY: context.simulator.apiKey,
      ITNIOTECH_API_SECRET: context.simulator.apiSecret,
      NODE_OPTIONS: context.serviceNodeOptions,
      ...context.settings.serviceEnv,
      ...extraServiceEnv,
    },
    logFile,
    [...context.settings.serviceNodeArgs, ...nodeOptions],
  );
}

/** Where `node --cpu-prof` writes the service's profile (BENCH_PROFILE). */
export const PROFILE_DIR = '.run/bench/profiles';

/** Database names are per run and arm: `bench_<arm>` with dashes as underscores. */
export function armDatabaseName(arm: string): string {
  return `bench_${arm.replaceAll('-', '_')}`;
}
