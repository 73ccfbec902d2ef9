/**
 * Creates the database if it does not exist yet, then applies pending migrations.
 * Usage: `npm run migration:run` (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/resend_relay;
 * DATABASE_PASSWORD(_FILE), DATABASE_SSL_MODE and DATABASE_SSL_CA_FILE as for the service).
 */
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../apps/resend-service/src/database/data-source-options.js';
import { postgresClientConfig } from '../apps/resend-service/src/database/postgres-connection.js';
import { databaseSettingsOrExit } from './support/database-settings.js';

const database = databaseSettingsOrExit();
const databaseUrl = database.url;

async function createDatabaseIfMissing(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client(postgresClientConfig({ ...database, url: maintenance.toString() }));
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      console.log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

await createDatabaseIfMissing(databaseUrl);
const dataSource = await new DataSource(dataSourceOptions(postgresClientConfig(database), 2)).initialize();
try {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'database schema is up to date');
} finally {
  await dataSource.destroy();
}
