import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { loadConfig, type AppConfig } from './config/app-config.js';
import { KafkaAdmin } from './kafka/kafka-admin.js';
import { KafkaStartupErrors } from './kafka/kafka-startup-errors.js';
import { RequestConsumer } from './kafka/kafka-transport.js';
import { backoffDelayMs } from '#common';

/**
 * A hybrid app: the Kafka consumer (intake) and HTTP (health) in one process, plus the
 * submission worker and the outbox relay running in the background.
 */
export async function createApp(config: AppConfig) {
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.connectMicroservice({ strategy: app.get(RequestConsumer) }, { inheritAppConfig: true });
  return app;
}

/**
 * Topics must exist before the consumer subscribes; Kafka may still be starting. A connection
 * that can never work (credentials, certificate, TLS mismatch) stops the start-up instead.
 */
async function waitForTopics(admin: KafkaAdmin, logger: NestLogger, startupErrors: KafkaStartupErrors): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await admin.ensureTopics();
      return;
    } catch (error) {
      const misconfiguration = startupErrors.misconfiguration(error);
      if (misconfiguration) throw misconfiguration;
      if (attempt % 5 === 1) logger.warn(`Kafka not ready (${(error as Error).message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { baseMs: 500, maxMs: 10_000 })));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  const logger = new NestLogger('Main');
  // After a graceful shutdown, exit 0: by default Nest re-raises the signal, which the handler
  // below would take for a second one (exit 130, "second SIGTERM").
  app.enableShutdownHooks([], { useProcessExit: true });
  exitAtOnceOnSecondSignal(logger);
  await waitForTopics(app.get(KafkaAdmin), logger, new KafkaStartupErrors(config.kafka));
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  logger.log(`resend-service ${config.instanceId} listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
}

/** The first SIGTERM/SIGINT shuts down gracefully; a second one means "now". */
function exitAtOnceOnSecondSignal(logger: NestLogger): void {
  let signals = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals > 1) {
        logger.warn(`second ${signal}: exiting now`);
        process.exit(130);
      }
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    // Configuration and Kafka misconfiguration errors name the variable and carry no values;
    // print them as they are.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
