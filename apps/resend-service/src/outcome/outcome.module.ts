import { OutboxModule } from '#outbox';
import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import { postgresClientConfig } from '../database/postgres-connection.js';
import { kafkaClientConfig } from '../kafka/kafka-client-config.js';
import { kafkaLogCreator } from '../kafka/kafka-log-creator.js';
import { OutcomeEvents } from './outcome-events.js';

/** The last step of the flow: outcome events through the transactional outbox, and the relay that publishes them. */
@Module({
  imports: [
    OutboxModule.forRootAsync({
      inject: [AppConfig, Sql],
      useFactory: (config: AppConfig, database: Sql) => ({
        database,
        databaseUrl: config.database.url,
        pollIntervalMs: config.outbox.pollIntervalMs,
        batchSize: config.outbox.batchSize,
        retentionDays: config.outbox.retentionDays,
        // The LISTEN connection idles between notifications: keepalive probes notice a peer gone without a word.
        databaseConnection: {
          ...postgresClientConfig(config.database),
          keepAlive: true,
          keepAliveInitialDelayMillis: config.database.limits.keepAliveInitialDelayMs,
          connectionTimeoutMillis: config.database.limits.connectTimeoutMs,
        },
        kafka: { ...kafkaClientConfig(config, 'outbox'), logCreator: kafkaLogCreator() },
      }),
    }),
  ],
  providers: [OutcomeEvents],
  exports: [OutcomeEvents, OutboxModule],
})
export class OutcomeModule {}
