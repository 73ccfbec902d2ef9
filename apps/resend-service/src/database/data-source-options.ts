import { migrations } from '#migrations';
import { OutboxEvent } from '#outbox';
import type { TlsOptions } from 'node:tls';
import type pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { DeadLetter } from '../intake/dead-letter.entity.js';
import { ResendRequest } from '../requests/resend-request.entity.js';
import { SubmissionAttempt } from '../submission/submission-attempt.entity.js';
import { TypeOrmLogger } from './typeorm-logger.js';

export const entities = [ResendRequest, SubmissionAttempt, DeadLetter, OutboxEvent];

/**
 * One definition for the service and the migration script. Schema changes go through migrations only.
 * `database`: a URL, or pg settings (postgres-connection.ts: separate password, TLS).
 */
export function dataSourceOptions(database: string | pg.ClientConfig, poolSize = 10): DataSourceOptions {
  const connection = typeof database === 'string' ? { connectionString: database } : database;
  return {
    type: 'postgres',
    url: connection.connectionString,
    host: connection.host,
    port: connection.port,
    username: connection.user,
    password: connection.password as string | undefined,
    database: connection.database,
    // pg takes Node's TLS connection options; TypeORM types them as server options.
    ssl: connection.ssl as boolean | TlsOptions | undefined,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    // Failed queries without their parameter values; not each query.
    logging: ['error', 'warn'],
    logger: new TypeOrmLogger(),
    extra: {
      max: poolSize,
      // Fail a query instead of hanging when the server is unreachable, so callers can back off.
      connectionTimeoutMillis: 5_000,
      // A statement goes out without waiting for the one before to be answered: a transaction's
      // BEGIN and COMMIT travel with its statements (Sql.transaction). Sequential use is unchanged.
      pipeline: true,
    },
  };
}
