import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { Sql } from './sql.js';
import { TypeOrmLogger } from './typeorm-logger.js';
import { postgresClientConfig } from './postgres-connection.js';

/**
 * The connection: TypeORM for the migrations and the connection's life (the DataSource), and `Sql`
 * (the SQL port over its pool) for every query. Global, as TypeORM's own module is: nearly every
 * feature module queries the database, and OutboxModule.forRootAsync injects `Sql` into a factory
 * that takes no imports of its own.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(postgresClientConfig(config.database), config.database.poolSize, config.database.limits),
        migrationsRun: config.database.runMigrations,
        logger: new TypeOrmLogger({ migrationProgress: true }),
        // Not connected while the app is built (that would block it, and HTTP with it, for as long
        // as PostgreSQL is down): FlowLifecycle initialises the DataSource, retrying, once HTTP listens.
        manualInitialization: true,
      }),
    }),
  ],
  providers: [Sql],
  exports: [Sql],
})
export class DatabaseModule {}
