/**
 * Waits until the database has every migration this build knows, then exits 0. Applies none: the
 * Kubernetes Deployment runs it as an init container (deploy/kubernetes/deployment.yaml) while
 * the migration Job (`migrate.ts`) does the work, so that no replica joins the consumer group on
 * a schema older than its code. A database that is not reachable or does not exist yet is waited
 * for the same way. Reads the database settings as the service does (DATABASE_URL,
 * DATABASE_PASSWORD(_FILE), DATABASE_SSL_MODE, DATABASE_SSL_CA_FILE); SIGTERM ends the wait.
 */
import { DataSource, MigrationExecutor } from 'typeorm';
import { dataSourceOptions } from '../apps/resend-service/src/database/data-source-options.js';
import { postgresClientConfig } from '../apps/resend-service/src/database/postgres-connection.js';
import { databaseSettingsOrExit } from './support/database-settings.js';

const CHECK_INTERVAL_MS = 2_000;

const database = databaseSettingsOrExit();

/** The names of the migrations not applied yet; reads only (no migrations table is created). */
async function pendingMigrations(): Promise<string[]> {
  const dataSource = await new DataSource(dataSourceOptions(postgresClientConfig(database), 1)).initialize();
  try {
    return (await new MigrationExecutor(dataSource).getPendingMigrations()).map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** What the database says now: nothing once the schema is current, else why the wait goes on. */
async function reasonToWait(): Promise<string | null> {
  try {
    const pending = await pendingMigrations();
    if (pending.length === 0) return null;
    return `${pending.length} migrations pending, the last ${pending[pending.length - 1]}: waiting for the migration Job`;
  } catch (error) {
    return `PostgreSQL not ready: ${(error as Error).message}`;
  }
}

let lastReason: string | null = null;
for (let reason = await reasonToWait(); reason !== null; reason = await reasonToWait()) {
  // One line per change, not one per check: an init container's log is read by people.
  if (reason !== lastReason) console.log(reason);
  lastReason = reason;
  await new Promise((resolve) => setTimeout(resolve, CHECK_INTERVAL_MS));
}
console.log('database schema is up to date');
