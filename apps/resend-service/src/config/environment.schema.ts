import { hostname } from 'node:os';
import { DEFAULT_TOPICS } from '#contracts';
import { z } from 'zod';

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const flag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
const proxyUrl = z.url({ protocol: /^http$/, message: 'must be an http:// proxy URL' });
const otlpProtocol = z.enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (grpc is not supported)' });
const otlpEndpoint = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name');

/**
 * Every environment variable the service reads, with its default. Parsed once at start-up;
 * a missing or invalid value stops the process with a message naming the variable.
 */
export const environmentSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INSTANCE_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: integer(0, 65535).default(3000),
  SHUTDOWN_GRACE_MS: integer(0).default(15_000),

  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// URL' })
    .default('postgres://postgres@127.0.0.1:5432/resend_relay'),
  DATABASE_POOL_SIZE: integer(2, 200).default(10),
  DATABASE_MIGRATIONS_RUN: flag.default(true),
  /** Overrides a password in DATABASE_URL (which then must not carry one); also as DATABASE_PASSWORD_FILE. */
  DATABASE_PASSWORD: z.string().optional(),
  /** TLS to PostgreSQL, libpq's names: unset leaves it to DATABASE_URL's own `sslmode`. */
  DATABASE_SSL_MODE: z
    .enum(['disable', 'require', 'verify-ca', 'verify-full'], { message: 'must be disable, require, verify-ca or verify-full' })
    .optional(),
  DATABASE_SSL_CA_FILE: z.string().optional(),
  /**
   * Bounds on every connection and statement (database/data-source-options.ts), so that a server
   * that stops answering fails a call, which is retried, instead of hanging it: how long a new
   * connection may take; how long the server runs a statement before cancelling it; how long the
   * client waits for any answer before giving the statement up and destroying its connection
   * (default: the statement timeout plus 5 s, never less than it); how long the server keeps a
   * session idle in an open transaction (its locks with it); how long a connection is used before
   * it is replaced (0: for ever); and the TCP keepalive's first probe.
   */
  DATABASE_CONNECT_TIMEOUT_MS: integer(100, 120_000).default(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  DATABASE_QUERY_TIMEOUT_MS: integer(100, 3_600_000).optional(),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  DATABASE_MAX_LIFETIME_SECONDS: integer(0, 7 * 24 * 60 * 60).default(1_800),
  DATABASE_KEEPALIVE_INITIAL_DELAY_MS: integer(1_000, 3_600_000).default(10_000),

  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be host:port[,host:port...]'),
  KAFKA_CLIENT_ID: z.string().min(1).default('resend-relay'),
  KAFKA_GROUP_ID: z.string().min(1).default('resend-relay'),
  KAFKA_TOPIC_REQUESTED: topicName.default(DEFAULT_TOPICS.requested),
  KAFKA_TOPIC_COMPLETED: topicName.default(DEFAULT_TOPICS.completed),
  KAFKA_TOPIC_FAILED: topicName.default(DEFAULT_TOPICS.failed),
  KAFKA_TOPIC_DEAD_LETTER: topicName.default(DEFAULT_TOPICS.deadLetter),
  /** How long the group waits for a silent consumer (e.g. a killed instance) before moving its partitions. */
  KAFKA_SESSION_TIMEOUT_MS: integer(6_000, 300_000).default(30_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: integer(100, 60_000).default(3_000),
  /**
   * How often the offsets of recorded messages are committed to the group (also on a rebalance and
   * at shutdown). Not after every batch: that round trip would hold up the next fetch.
   */
  KAFKA_OFFSET_COMMIT_INTERVAL_MS: integer(100, 60_000).default(1_000),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(3),
  KAFKA_TOPIC_REPLICATION_FACTOR: integer(1, 10).default(1),
  /** Connection security (kafka/kafka-client-config.ts turns these into the kafkajs settings). */
  KAFKA_SSL: flag.default(false),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  KAFKA_SSL_VERIFY_HOSTNAME: flag.default(true),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], { message: 'must be plain, scram-sha-256 or scram-sha-512' })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  /** Also as KAFKA_SASL_PASSWORD_FILE. */
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_CONNECTION_TIMEOUT_MS: integer(100, 120_000).default(5_000),
  KAFKA_AUTHENTICATION_TIMEOUT_MS: integer(100, 120_000).default(10_000),

  /** Messages of one partition recorded per transaction (a fetched batch is cut into chunks of this size). */
  INTAKE_BATCH_SIZE: integer(1, 10_000).default(500),
  /** Partitions recorded at the same time by one instance. */
  INTAKE_CONCURRENT_PARTITIONS: integer(1, 1000).default(3),

  ITNIOTECH_BASE_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('https://api.itniotech.com'),
  ITNIOTECH_API_KEY: z.string({ message: 'is required' }).min(1, 'is required'),
  /** Also as ITNIOTECH_API_SECRET_FILE. */
  ITNIOTECH_API_SECRET: z.string({ message: 'is required' }).min(1, 'is required'),
  ITNIOTECH_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  ITNIOTECH_CLASSIFICATION_OVERRIDES: z.string().default(''),
  ITNIOTECH_LOOKUP_WINDOW_MINUTES: integer(1, 7 * 24 * 60).default(60),
  /**
   * How long after a call of unknown outcome began a lookup that finds nothing is believed: until
   * then the provider may still be processing the call the client gave up on. Default: twice
   * ITNIOTECH_TIMEOUT_MS (app-config.ts); never less than it.
   */
  ITNIOTECH_LOOKUP_SETTLE_MS: integer(100, 24 * 60 * 60 * 1000).optional(),
  /** Provider calls (submits and lookups) per second, all instances together; 0 = no limit. */
  ITNIOTECH_MAX_CALLS_PER_SECOND: z.coerce.number().min(0).max(100_000).default(0),
  /** Provider calls in flight at once, all instances together; 0 = no limit. */
  ITNIOTECH_MAX_CONCURRENT_CALLS: integer(0, 100_000).default(0),
  /** Cut the shared rate on -15, raise it in calm periods. Default: on when ITNIOTECH_MAX_CALLS_PER_SECOND is set. */
  ITNIOTECH_ADAPTIVE_RATE: flag.optional(),
  /** Adaptive mode without ITNIOTECH_MAX_CALLS_PER_SECOND: the rate starts here and never rises above it. */
  ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(100),
  /** The egress proxy for provider calls (curl's names; the lower-case ones are read too). */
  HTTPS_PROXY: proxyUrl.optional(),
  HTTP_PROXY: proxyUrl.optional(),
  NO_PROXY: z.string().default(''),

  SUBMISSION_ENABLED: flag.default(true),
  SUBMISSION_CONCURRENCY: integer(1, 256).default(64),
  SUBMISSION_POLL_INTERVAL_MS: integer(10, 60_000).default(500),
  SUBMISSION_LEASE_MS: integer(1_000).default(60_000),
  SUBMISSION_MAX_ATTEMPTS: integer(1, 1000).default(8),
  SUBMISSION_MAX_AGE_MS: integer(1_000).default(6 * 60 * 60 * 1000),
  SUBMISSION_BACKOFF_BASE_MS: integer(1).default(1_000),
  SUBMISSION_BACKOFF_MAX_MS: integer(1).default(5 * 60 * 1000),
  SUBMISSION_LONG_BACKOFF_MS: integer(1).default(60_000),

  /**
   * How long a stage (intake, submission, the outbox relay) may make no progress while work waits
   * for it before readiness turns red and resend_relay_stage_stalled says so.
   */
  STAGE_STALL_MS: integer(100, 3_600_000).default(30_000),

  OUTBOX_ENABLED: flag.default(true),
  OUTBOX_POLL_INTERVAL_MS: integer(10, 60_000).default(1_000),
  OUTBOX_BATCH_SIZE: integer(1, 10_000).default(500),
  OUTBOX_RETENTION_DAYS: integer(0, 3650).default(7),
  CLOUDEVENTS_SOURCE: z.string().min(1).default('/resend-relay'),

  /**
   * Tracing (OpenTelemetry), the standard variables: on when any of OTEL_SERVICE_NAME,
   * OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set,
   * off when none is (tracing/tracing-settings.ts). The SDK reads the other OTEL_ variables itself
   * (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_RESOURCE_ATTRIBUTES,
   * OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, span limits).
   */
  OTEL_SDK_DISABLED: flag.default(false),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'must be otlp or none' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),

  /** Bearer tokens of the operator API, comma-separated; none (the default) turns its routes off. */
  OPERATOR_API_TOKENS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((token) => token.trim())
        .filter(Boolean),
    )
    .refine((tokens) => tokens.every((token) => /^[\x21-\x7e]{16,}$/.test(token)), {
      message: 'must be comma-separated tokens of at least 16 printable characters, without spaces',
    }),
});

export type Environment = z.infer<typeof environmentSchema>;
