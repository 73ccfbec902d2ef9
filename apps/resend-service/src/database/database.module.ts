import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { Sql } from './sql.js';

/** The connection: TypeORM for entities and migrations, and `Sql` (plain statements over its pool) for the flow. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.database.url, config.database.poolSize),
        migrationsRun: config.database.runMigrations,
        // Keep trying at start-up for about a minute: the database may still be starting.
        retryAttempts: 20,
        retryDelay: 3_000,
      }),
    }),
  ],
  providers: [Sql],
  exports: [Sql],
})
export class DatabaseModule {}
