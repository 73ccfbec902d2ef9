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
