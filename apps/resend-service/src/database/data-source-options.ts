import { migrations } from '#migrations';
import { OutboxEvent } from '#outbox';
import type { DataSourceOptions } from 'typeorm';
import { DeadLetter } from '../intake/dead-letter.entity.js';
import { ResendRequest } from '../requests/resend-request.entity.js';
import { SubmissionAttempt } from '../submission/submission-attempt.entity.js';
import { TypeOrmLogger } from './typeorm-logger.js';

export const entities = [ResendRequest, SubmissionAttempt, DeadLetter, OutboxEvent];

/** One definition for the service and the migration script. Schema changes go through migrations only. */
export function dataSourceOptions(databaseUrl: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    // Failed queries without their parameter values; not each query.
    logging: ['error', 'warn'],
    logger: new TypeOrmLogger(),
    // Fail a query instead of hanging when the server is unreachable, so callers can back off.
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}
