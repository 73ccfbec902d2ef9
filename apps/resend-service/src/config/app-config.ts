import type { ProxySettings } from '#itniotech';
import type { ConnectionSecurity, DatabaseSslSettings, KafkaSaslSettings, KafkaTlsSettings } from './connection-security.js';
import { environmentSchema, type Environment } from './environment.schema.js';
import { ConfigurationError, parseEnvironment, variablesWhere } from './parse-environment.js';
import { tracingSettings, type TracingSettings } from '../tracing/tracing-settings.js';

export { ConfigurationError } from './parse-environment.js';

/**
 * The default settle delay, in call timeouts: one for the client to give a call up, one more for the
 * provider to finish (or drop) a request it had already accepted when the client gave up — its
 * processing takes a fraction of the timeout when it answers in time (docs/guarantees.md).
 */
const DEFAULT_SETTLE_TIMEOUTS = 2;
/**
 * The client waits this much longer than the server's statement timeout by default: a slow
 * statement is cancelled by the server (the connection stays usable); only a server that does not
 * answer at all meets the client's timeout (which destroys the connection).
 */
const DEFAULT_QUERY_TIMEOUT_MARGIN_MS = 5_000;

/** The service's settings, grouped by the part of the flow that uses them. */
export class AppConfig {
  readonly instanceId: string;
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly http: { host: string; port: number };
  readonly shutdownGraceMs: number;
  readonly database: DatabaseSettings;
  readonly kafka: KafkaSettings;
  readonly intake: { batchSize: number; concurrentPartitions: number };
  readonly topics: { requested: string; completed: string; failed: string; deadLetter: string };
  readonly provider: {
    baseUrl: string;
    apiKey: string;
    apiSecret: string;
    timeoutMs: number;
    classificationOverrides: string;
    lookupWindowMinutes: number;
    /** How long after a call of unknown outcome began "not found" is believed (ITNIOTECH_LOOKUP_SETTLE_MS). */
    lookupSettleMs: number;
    /** The egress proxy for provider calls, or null to connect directly. */
    proxy: ProxySettings | null;
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
  /** How long a stage may make no progress while work waits before readiness turns red (STAGE_STALL_MS). */
  readonly stageStallMs: number;
  readonly cloudEventsSource: string;
  /** No token: the operator API's routes answer 404. */
  readonly operatorApi: { tokens: string[] };
  /** OpenTelemetry tracing, from the standard OTEL_ variables; off unless one of them is set. */
  readonly tracing: TracingSettings;

  constructor(env: Environment, security: ConnectionSecurity) {
    this.instanceId = env.INSTANCE_ID;
    this.logLevel = env.LOG_LEVEL;
    this.http = { host: env.HTTP_HOST, port: env.HTTP_PORT };
    this.shutdownGraceMs = env.SHUTDOWN_GRACE_MS;
    this.database = databaseSettings(env, security);
    this.kafka = kafkaSettings(env, security);
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
      lookupSettleMs: env.ITNIOTECH_LOOKUP_SETTLE_MS ?? DEFAULT_SETTLE_TIMEOUTS * env.ITNIOTECH_TIMEOUT_MS,
      proxy:
        env.HTTPS_PROXY || env.HTTP_PROXY
          ? { httpsProxy: env.HTTPS_PROXY ?? null, httpProxy: env.HTTP_PROXY ?? null, noProxy: env.NO_PROXY }
          : null,
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
    this.stageStallMs = env.STAGE_STALL_MS;
    this.cloudEventsSource = env.CLOUDEVENTS_SOURCE;
    this.operatorApi = { tokens: env.OPERATOR_API_TOKENS };
    this.tracing = tracingSettings(env);
  }
}

export interface DatabaseSettings {
  url: string;
  poolSize: number;
  runMigrations: boolean;
  /** From DATABASE_PASSWORD(_FILE); null when DATABASE_URL carries it (or none is needed). */
  password: string | null;
  /** From DATABASE_SSL_MODE; null leaves TLS to DATABASE_URL's own parameters. */
  ssl: DatabaseSslSettings | null;
  limits: DatabaseLimits;
}

/** Bounds on every connection and statement of the service's pool (DATABASE_*_TIMEOUT_MS and friends). */
export interface DatabaseLimits {
  connectTimeoutMs: number;
  /** Server side: the statement is cancelled (57014), the connection stays usable. */
  statementTimeoutMs: number;
  /** Client side: no answer at all within this, and the statement fails and its connection is destroyed. */
  queryTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** 0: connections are not replaced for their age. */
  maxLifetimeSeconds: number;
  keepAliveInitialDelayMs: number;
}

function databaseSettings(env: Environment, security: ConnectionSecurity): DatabaseSettings {
  return {
    url: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    runMigrations: env.DATABASE_MIGRATIONS_RUN,
    ...security.database,
    limits: {
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS ?? env.DATABASE_STATEMENT_TIMEOUT_MS + DEFAULT_QUERY_TIMEOUT_MARGIN_MS,
      idleInTransactionTimeoutMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      maxLifetimeSeconds: env.DATABASE_MAX_LIFETIME_SECONDS,
      keepAliveInitialDelayMs: env.DATABASE_KEEPALIVE_INITIAL_DELAY_MS,
    },
  };
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  offsetCommitIntervalMs: number;
  partitions: number;
  replicationFactor: number;
  tls: KafkaTlsSettings | null;
  sasl: KafkaSaslSettings | null;
  connectionTimeoutMs: number;
  authenticationTimeoutMs: number;
}

function kafkaSettings(env: Environment, security: ConnectionSecurity): KafkaSettings {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    groupId: env.KAFKA_GROUP_ID,
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
    offsetCommitIntervalMs: env.KAFKA_OFFSET_COMMIT_INTERVAL_MS,
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: env.KAFKA_TOPIC_REPLICATION_FACTOR,
    ...security.kafka,
    connectionTimeoutMs: env.KAFKA_CONNECTION_TIMEOUT_MS,
    authenticationTimeoutMs: env.KAFKA_AUTHENTICATION_TIMEOUT_MS,
  };
}

/** Reads and validates the environment. Values are never echoed: some of them are secrets. */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const { env, security } = parseEnvironment(source, environmentSchema);
  const problems = [...providerTimingProblems(env), ...databaseTimingProblems(env)];
  if (problems.length > 0) throw new ConfigurationError(problems);
  return new AppConfig(env, security);
}

/** Settings that depend on each other: a settle delay shorter than the timeout ends while the client still waits. */
function providerTimingProblems(env: Environment): string[] {
  const settleMs = env.ITNIOTECH_LOOKUP_SETTLE_MS;
  if (settleMs === undefined || settleMs >= env.ITNIOTECH_TIMEOUT_MS) return [];
  return ['ITNIOTECH_LOOKUP_SETTLE_MS must be at least ITNIOTECH_TIMEOUT_MS (default: twice it)'];
}

/** A client that gives up before the server would have cancelled the statement destroys connections the server would have kept usable. */
function databaseTimingProblems(env: Environment): string[] {
  const queryTimeoutMs = env.DATABASE_QUERY_TIMEOUT_MS;
  if (queryTimeoutMs === undefined || queryTimeoutMs >= env.DATABASE_STATEMENT_TIMEOUT_MS) return [];
  return ['DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS (default: it plus 5 s)'];
}

/**
 * Only the Kafka settings (brokers, TLS, SASL, topics), for tools such as scripts/publish-sample
 * that talk to the same cluster as the service but need none of its other settings.
 */
export function loadKafkaConfig(source: Record<string, string | undefined> = process.env): Pick<AppConfig, 'kafka' | 'topics'> {
  const kafkaOnly = variablesWhere((name) => name.startsWith('KAFKA_') || name === 'DATABASE_URL');
  const { env, security } = parseEnvironment(source, kafkaOnly);
  return {
    kafka: kafkaSettings(env, security),
    topics: {
      requested: env.KAFKA_TOPIC_REQUESTED,
      completed: env.KAFKA_TOPIC_COMPLETED,
      failed: env.KAFKA_TOPIC_FAILED,
      deadLetter: env.KAFKA_TOPIC_DEAD_LETTER,
    },
  };
}

/**
 * Only the database settings (URL, password, TLS), for tools such as scripts/migrate that use the
 * service's database but need none of its other settings.
 */
export function loadDatabaseConfig(source: Record<string, string | undefined> = process.env): Pick<AppConfig, 'database'> {
  const databaseOnly = variablesWhere((name) => name.startsWith('DATABASE_'));
  const { env, security } = parseEnvironment(source, databaseOnly);
  const problems = databaseTimingProblems(env);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { database: databaseSettings(env, security) };
}
