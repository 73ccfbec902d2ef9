import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { fixKafkajsIdleTimer } from './kafka/kafkajs-idle-timer-fix.js';
import { serveApiDocs } from './operator-api/api-docs.js';
import type { Tracing } from './tracing/tracing.js';

/**
 * Builds the app: the Kafka consumer (intake) and HTTP (health, metrics, operator API) in one
 * process, plus the submission worker and the outbox relay running in the background. Used by
 * main.ts and by the in-process tests. Building it reaches neither PostgreSQL nor Kafka
 * (FlowLifecycle does, once the app listens), so it takes a moment, and the log lines buffered
 * meanwhile come out in the app's own JSON format right after.
 */
export async function createApp(config: AppConfig, options: { tracing?: Tracing } = {}) {
  fixKafkajsIdleTimer();
  const app = await NestFactory.create(AppModule.forRoot(config, options.tracing), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  serveApiDocs(app);
  return app;
}
