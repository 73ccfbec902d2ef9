import { OutboxModule } from '#outbox';
import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { postgresClientConfig } from '../database/postgres-connection.js';
import { kafkaClientConfig } from '../kafka/kafka-client-config.js';
import { OutcomeEvents } from './outcome-events.js';

/** The last step of the flow: outcome events through the transactional outbox, and the relay that publishes them. */
@Module({
  imports: [
    OutboxModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        databaseUrl: config.database.url,
        databaseConnection: postgresClientConfig(config.database),
        pollIntervalMs: config.outbox.pollIntervalMs,
        batchSize: config.outbox.batchSize,
        retentionDays: config.outbox.retentionDays,
        kafka: kafkaClientConfig(config, 'outbox'),
      }),
    }),
  ],
  providers: [OutcomeEvents],
  exports: [OutcomeEvents, OutboxModule],
})
export class OutcomeModule {}
