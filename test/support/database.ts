import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';

/** Direct SQL on the e2e database, to check the audit record as an operator would. */
export class TestDatabase {
  private readonly pool: pg.Pool;

  /** The e2e database by default; pass a URL for another server (e.g. a test's private PostgreSQL). */
  constructor(connectionString: string = inject('databaseUrl')) {
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
 * A database of its own on the e2e server, for a test whose counts must not see other files'
 * leftovers (requests still retrying, unpublished outcomes). The service migrates it when started
 * with DATABASE_MIGRATIONS_RUN=true (see `settings`).
 */
export class IsolatedDatabase {
  private constructor(
    readonly url: string,
    private readonly name: string,
  ) {}

  static async create(label: string): Promise<IsolatedDatabase> {
    const name = `resend_relay_${label}_${randomBytes(4).toString('hex')}`;
    await serverQuery(`CREATE DATABASE ${name}`);
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${name}`;
    return new IsolatedDatabase(url.toString(), name);
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
  await dataSource.runMigrations();
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

/** A statement run on the e2e server's `postgres` database (CREATE / DROP DATABASE). */
export async function serverQuery(sql: string): Promise<void> {
  const url = new URL(inject('databaseUrl'));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
