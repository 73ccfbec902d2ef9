import { z } from 'zod';
import { environmentSchema, type Environment } from './environment.schema.js';

/** Thrown at start-up when the environment is incomplete or wrong; names every bad variable. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationError';
  }
}

/** The service's settings, grouped by the part of the flow that uses them. */
export class AppConfig {
  readonly instanceId: string;
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly http: { host: string; port: number };
  readonly shutdownGraceMs: number;
  readonly database: { url: string; poolSize: number; runMigrations: boolean };
  readonly kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    partitions: number;
    replicationFactor: number;
  };
  readonly intake: { batchSize: number; concurrentPartitions: number };
  readonly topics: { requested: string; completed: string; failed: string; deadLetter: string };
  readonly provider: {
    baseUrl: string;
    apiKey: string;
    apiSecret: string;
    timeoutMs: number;
    classificationOverrides: string;
    lookupWindowMinutes: number;
  };
  /** The provider call budget shared by all instances (see ProviderCallBudget); 0 = no limit. */
  readonly providerCalls: {
    maxPerSecond: number;
    maxConcurrent: number;
    adaptive: boolean;
    adaptiveCeilingPerSecond: number;
  };
  readonly submission: {
    enabled: boolean;
    concurrency: number;
    pollIntervalMs: number;
    leaseMs: number;
    maxAttempts: number;
    maxAgeMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    longBackoffMs: number;
  };
  readonly outbox: { enabled: boolean; pollIntervalMs: number; batchSize: number; retentionDays: number };
  readonly cloudEventsSource: string;
  /** No token: the operator API's routes answer 404. */
  readonly operatorApi: { tokens: string[] };

  constructor(env: Environment) {
    this.instanceId = env.INSTANCE_ID;
    this.logLevel = env.LOG_LEVEL;
    this.http = { host: env.HTTP_HOST, port: env.HTTP_PORT };
    this.shutdownGraceMs = env.SHUTDOWN_GRACE_MS;
    this.database = { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, runMigrations: env.DATABASE_MIGRATIONS_RUN };
    this.kafka = {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      groupId: env.KAFKA_GROUP_ID,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_TOPIC_REPLICATION_FACTOR,
    };
    this.intake = { batchSize: env.INTAKE_BATCH_SIZE, concurrentPartitions: env.INTAKE_CONCURRENT_PARTITIONS };
    this.topics = {
      requested: env.KAFKA_TOPIC_REQUESTED,
      completed: env.KAFKA_TOPIC_COMPLETED,
      failed: env.KAFKA_TOPIC_FAILED,
      deadLetter: env.KAFKA_TOPIC_DEAD_LETTER,
    };
    this.provider = {
      baseUrl: env.ITNIOTECH_BASE_URL,
      apiKey: env.ITNIOTECH_API_KEY,
      apiSecret: env.ITNIOTECH_API_SECRET,
      timeoutMs: env.ITNIOTECH_TIMEOUT_MS,
      classificationOverrides: env.ITNIOTECH_CLASSIFICATION_OVERRIDES,
      lookupWindowMinutes: env.ITNIOTECH_LOOKUP_WINDOW_MINUTES,
    };
    this.providerCalls = {
      maxPerSecond: env.ITNIOTECH_MAX_CALLS_PER_SECOND,
      maxConcurrent: env.ITNIOTECH_MAX_CONCURRENT_CALLS,
      adaptive: env.ITNIOTECH_ADAPTIVE_RATE ?? env.ITNIOTECH_MAX_CALLS_PER_SECOND > 0,
      adaptiveCeilingPerSecond: env.ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND,
    };
    this.submission = {
      enabled: env.SUBMISSION_ENABLED,
      concurrency: env.SUBMISSION_CONCURRENCY,
      pollIntervalMs: env.SUBMISSION_POLL_INTERVAL_MS,
      leaseMs: env.SUBMISSION_LEASE_MS,
      maxAttempts: env.SUBMISSION_MAX_ATTEMPTS,
      maxAgeMs: env.SUBMISSION_MAX_AGE_MS,
      backoffBaseMs: env.SUBMISSION_BACKOFF_BASE_MS,
      backoffMaxMs: env.SUBMISSION_BACKOFF_MAX_MS,
      longBackoffMs: env.SUBMISSION_LONG_BACKOFF_MS,
    };
    this.outbox = {
      enabled: env.OUTBOX_ENABLED,
      pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      batchSize: env.OUTBOX_BATCH_SIZE,
      retentionDays: env.OUTBOX_RETENTION_DAYS,
    };
    this.cloudEventsSource = env.CLOUDEVENTS_SOURCE;
    this.operatorApi = { tokens: env.OPERATOR_API_TOKENS };
  }
}

/** Reads and validates the environment. Values are never echoed: some of them are secrets. */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  // An empty variable counts as unset, so `FOO=` falls back to the default instead of failing.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = environmentSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map(describeIssue));
  }
  return new AppConfig(result.data);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const variable = issue.path.join('.') || '(environment)';
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return `${variable} ${message}`;
}
