import { migrations } from '#migrations';
import type { TlsOptions } from 'node:tls';
import type pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseLimits } from '../config/app-config.js';
import { TypeOrmLogger } from './typeorm-logger.js';

/**
 * One definition for the service and the migration script. Schema changes go through migrations
 * only; no entities: every query goes through the SQL port (sql.ts), TypeORM keeps the migrations
 * and the connection's life.
 * `database`: a URL, or pg settings (postgres-connection.ts: separate password, TLS).
 * `limits`: the service's bounds on each connection and statement (poolLimits); the migration
 * script runs without statement timeouts, so that a long migration is not cut short.
 */
export function dataSourceOptions(database: string | pg.ClientConfig, poolSize = 10, limits?: DatabaseLimits): DataSourceOptions {
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
      ...(limits ? poolLimits(limits) : { keepAlive: true }),
    },
  };
}

/**
 * pg's settings for the bounds: no call waits for ever on a server that stopped answering.
 * - statement_timeout: the server cancels a statement that runs too long (57014); the connection stays usable.
 * - query_timeout: the client gives up on a statement the server has not answered at all (a
 *   failover behind a stable address, a network partition: no reset ever comes). In pipeline mode
 *   pg then destroys the connection, so the pool never hands it out again.
 * - idle_in_transaction_session_timeout: the server ends a session whose client went silent inside
 *   a transaction, and with it the transaction's locks, which would otherwise hold up every writer
 *   of the same rows.
 * - maxLifetimeSeconds: connections are replaced now and then, so that after a failover none of
 *   them stays on the old server's address for ever.
 * - keepAlive: TCP probes on idle connections, so that a peer gone without a word is noticed.
 */
export function poolLimits(limits: DatabaseLimits) {
  return {
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    query_timeout: limits.queryTimeoutMs,
    idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
    maxLifetimeSeconds: limits.maxLifetimeSeconds,
    keepAlive: true,
    keepAliveInitialDelayMillis: limits.keepAliveInitialDelayMs,
  };
}
