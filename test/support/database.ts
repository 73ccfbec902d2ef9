import pg from 'pg';
import { inject } from 'vitest';

/** Direct SQL on the e2e database, to check the audit record as an operator would. */
export class TestDatabase {
  private readonly pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });

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
