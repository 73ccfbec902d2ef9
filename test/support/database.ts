import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

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
