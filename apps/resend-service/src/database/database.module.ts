import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { describeDatabaseTlsFailure, postgresClientConfig } from './postgres-connection.js';

/** Thrown at start-up for a TLS setting that waiting cannot fix; the message names the setting. */
class DatabaseTlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseTlsError';
    // Nest prints the stack of a start-up error: one line that says it all is clearer.
    this.stack = `${this.name}: ${message}`;
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(postgresClientConfig(config.database), config.database.poolSize),
        migrationsRun: config.database.runMigrations,
        // Keep trying at start-up for about a minute: the database may still be starting.
        retryAttempts: 20,
        retryDelay: 3_000,
        // ... but not when its certificate is refused: that needs an operator, not time.
        toRetry: (error: unknown) => !(error instanceof DatabaseTlsError),
      }),
      dataSourceFactory: async (options) => {
        try {
          return await new DataSource(options!).initialize();
        } catch (error) {
          const tlsFailure = describeDatabaseTlsFailure(error);
          throw tlsFailure === null ? error : new DatabaseTlsError(tlsFailure);
        }
      },
    }),
  ],
})
export class DatabaseModule {}
