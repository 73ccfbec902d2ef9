import { Injectable } from '@nestjs/common';
import { PgSqlDatabase } from '#sql';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * The SQL port (#sql) over the connection pool TypeORM opens: one pool, one configuration
 * (data-source-options.ts, pipeline mode on). TypeORM keeps the migrations and the connection's
 * life (FlowLifecycle initialises it); every query goes through here.
 */
@Injectable()
export class Sql extends PgSqlDatabase {
  constructor(dataSource: DataSource) {
    super(() => (dataSource.driver as PostgresDriver).master as pg.Pool);
  }
}
