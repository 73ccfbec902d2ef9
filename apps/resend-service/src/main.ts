import { pino } from 'pino';
import { loadConfig, type AppConfig } from './config/app-config.js';
import { describeEndpoint } from './tracing/tracing-settings.js';

/**
 * The process: configuration, a first log line, then the app (loading Nest, TypeORM and kafkajs
 * takes seconds on a busy machine; the first line must not wait for it), signals and exit codes.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const startupLog = pino({ level: config.logLevel }).child({ context: 'Main' });
  startupLog.info(
    `starting resend-service ${config.instanceId}: PostgreSQL ${databaseAddress(config)}, Kafka ${config.kafka.brokers.join(',')}`,
  );
  // Before the app is loaded: its spans go to the SDK registered here, or to the API's no-op when
  // tracing is off (the SDK is not even loaded then).
  const otelLog = startupLog.child({ context: 'OpenTelemetry' });
  const tracing = config.tracing.enabled
    ? (await import('./tracing/tracing.js')).startTracing(config.tracing, config.instanceId, { warn: (message) => otelLog.warn(message) })
    : undefined;
  startupLog.info(
    config.tracing.enabled
      ? `tracing on (${config.tracing.reason}): service ${config.tracing.serviceName}, OTLP ${config.tracing.protocol} to ${describeEndpoint(config.tracing.endpoint)}`
      : `tracing off (${config.tracing.reason})`,
  );

  // Until the app's own shutdown hooks are in place, a stop signal simply ends the start-up.
  const exitBeforeStart = (signal: NodeJS.Signals) => {
    startupLog.info(`${signal} during start-up: exiting`);
    process.exit(0);
  };
  process.once('SIGTERM', exitBeforeStart).once('SIGINT', exitBeforeStart);

  const { createApp } = await import('./bootstrap.js');
  const { Logger } = await import('@nestjs/common');
  const app = await createApp(config, { tracing });
  const logger = new Logger('Main');
  // After a graceful shutdown, exit 0: by default Nest re-raises the signal, which the handler
  // below would take for a second one (exit 130, "second SIGTERM").
  app.enableShutdownHooks([], { useProcessExit: true });
  process.off('SIGTERM', exitBeforeStart).off('SIGINT', exitBeforeStart);
  exitAtOnceOnSecondSignal((message) => logger.warn(message));
  // Listening first: /health/live answers and /health says what is missing while FlowLifecycle
  // waits for PostgreSQL and Kafka.
  await app.listen(config.http.port, config.http.host);
  logger.log(`resend-service ${config.instanceId} listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
  // A connection setting that waiting cannot fix (credentials, a certificate, TLS on one side
  // only): one line that names the setting, never a secret, and a non-zero exit.
  const { FlowLifecycle } = await import('./lifecycle/flow-lifecycle.js');
  app
    .get(FlowLifecycle)
    .whenStarted()
    .catch((error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    });
}

/** Host, port and database only: the URL may carry a password. */
function databaseAddress(config: AppConfig): string {
  const url = new URL(config.database.url);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** The first SIGTERM/SIGINT shuts down gracefully; a second one means "now". */
function exitAtOnceOnSecondSignal(warn: (message: string) => void): void {
  let signals = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals > 1) {
        warn(`second ${signal}: exiting now`);
        process.exit(130);
      }
    });
  }
}

main().catch((error: unknown) => {
  // Configuration errors name the variable and carry no values; print them as they are.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
