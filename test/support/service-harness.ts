import type { INestApplication } from '@nestjs/common';
import { loadConfig, type AppConfig } from '../../apps/resend-service/src/config/app-config.js';
import { FlowLifecycle } from '../../apps/resend-service/src/lifecycle/flow-lifecycle.js';
import { createApp } from '../../apps/resend-service/src/bootstrap.js';
import { e2e } from './e2e-context.js';

export const TEST_API_KEY = 'e2e-api-key';
export const TEST_API_SECRET = 'e2e-api-secret';
/** The provider call's timeout of every test service (ITNIOTECH_TIMEOUT_MS). */
export const TEST_CALL_TIMEOUT_MS = 3000;

/**
 * The environment of a service under test, for both in-process apps and real processes: the
 * file's own database, topics and consumer group, the simulator's credentials, and short timings
 * so tests run quickly.
 */
export function testServiceEnvironment(providerUrl: string): Record<string, string> {
  return {
    DATABASE_URL: e2e.databaseUrl,
    KAFKA_BROKERS: e2e.kafkaBrokers,
    KAFKA_GROUP_ID: e2e.groupId,
    KAFKA_TOPIC_REQUESTED: e2e.topics.requested,
    KAFKA_TOPIC_COMPLETED: e2e.topics.completed,
    KAFKA_TOPIC_FAILED: e2e.topics.failed,
    KAFKA_TOPIC_DEAD_LETTER: e2e.topics.deadLetter,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    ITNIOTECH_BASE_URL: providerUrl,
    ITNIOTECH_API_KEY: TEST_API_KEY,
    ITNIOTECH_API_SECRET: TEST_API_SECRET,
    ITNIOTECH_TIMEOUT_MS: String(TEST_CALL_TIMEOUT_MS),
    HTTP_PORT: '0',
    DATABASE_MIGRATIONS_RUN: 'false',
    SUBMISSION_POLL_INTERVAL_MS: '200',
    SUBMISSION_BACKOFF_BASE_MS: '100',
    SUBMISSION_BACKOFF_MAX_MS: '1000',
    SUBMISSION_LONG_BACKOFF_MS: '500',
    OUTBOX_POLL_INTERVAL_MS: '200',
    SHUTDOWN_GRACE_MS: '5000',
  };
}

export interface RunningService {
  app: INestApplication;
  config: AppConfig;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the real resend-service (Kafka consumer and HTTP server in one Nest app) in-process against the file's database,
 * topics and the given provider URL. `settings` are environment variables.
 */
export async function startService(providerUrl: string, settings: Record<string, string> = {}): Promise<RunningService> {
  const config = loadConfig({ ...testServiceEnvironment(providerUrl), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...settings });
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  // FlowLifecycle connects PostgreSQL and Kafka and starts the consumer, worker and relay.
  if (!(await app.get(FlowLifecycle).whenStarted())) throw new Error('the service stopped before its flow started');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, config, url, stop: () => app.close() };
}
