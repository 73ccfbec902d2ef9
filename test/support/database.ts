import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { cloneTemplate, e2e, serverQuery } from './e2e-context.js';

/** Direct SQL on the e2e database, to check the audit record as an operator would. */
export class TestDatabase {
  private readonly pool: pg.Pool;

  /** The file's own database by default; pass a URL for another (e.g. a test's private PostgreSQL). */
  constructor(connectionString: string = e2e.databaseUrl) {
    this.pool = new pg.Pool({ connectionString, max: 2 });
    // An idle connection dropped by a database restart must not become an uncaught error.
    this.pool.on('error', () => undefined);
  }

  async rows<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async one<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(sql, params))[0];
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * A database of its own on the e2e server (a clone of the migrated template), for a test whose
 * counts must not see what earlier tests of its file left (requests still retrying, unpublished
 * outcomes). With `settings`, the service also runs its migrations on start (none is pending).
 */
export class IsolatedDatabase {
  private constructor(
    readonly url: string,
    private readonly name: string,
  ) {}

  static async create(label: string): Promise<IsolatedDatabase> {
    const name = `resend_relay_${label}_${randomBytes(4).toString('hex')}`;
    return new IsolatedDatabase(await cloneTemplate(name), name);
  }

  /** The service environment that points at this database and lets the service migrate it. */
  get settings(): Record<string, string> {
    return { DATABASE_URL: this.url, DATABASE_MIGRATIONS_RUN: 'true' };
  }

  drop(): Promise<void> {
    return serverQuery(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }
}

/** A migrated database of its own, for checking the service's statements on the real schema. */
export interface StatementTestDatabase {
  url: string;
  /** The service's plain-SQL layer (pipelined transactions), on a pool of two. */
  sql: Sql;
  /** Setup and checks, as an operator would query. */
  db: TestDatabase;
  close(): Promise<void>;
}

export async function statementTestDatabase(label: string): Promise<StatementTestDatabase> {
  const isolated = await IsolatedDatabase.create(label);
  const dataSource = await new DataSource(dataSourceOptions(isolated.url, 2)).initialize();
  const db = new TestDatabase(isolated.url);
  return {
    url: isolated.url,
    sql: new Sql(dataSource),
    db,
    close: async () => {
      await dataSource.destroy();
      await db.close();
      await isolated.drop();
    },
  };
}

export { serverQuery };
