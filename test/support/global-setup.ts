import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { TestProject } from 'vitest/node';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import type { SecureListener } from './e2e-context.js';

/**
 * Once per e2e run: the migrated template database that every e2e file's own database is cloned
 * from (test/support/e2e-context.ts), on the PostgreSQL server of DATABASE_URL, dropped at the
 * end; and the Kafka broker that scripts/test.sh started, with its SASL_SSL listener
 * (E2E_KAFKA_SASL_SSL_BROKERS, E2E_KAFKA_SECURE_DIR: the CA, certificates and passwords scripts/kafka.sh
 * made) when the run has one — a broker given in KAFKA_BROKERS from outside may have none.
 */
export default async function setup(project: TestProject) {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  if (!kafkaBrokers) throw new Error('KAFKA_BROKERS is not set: run the e2e tests through `npm test`');
  const serverUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  serverUrl.pathname = '/';
  const templateDatabase = `resend_relay_e2e_template_${randomBytes(4).toString('hex')}`;

  await adminQuery(serverUrl, `CREATE DATABASE ${templateDatabase}`);
  const dataSource = await new DataSource(dataSourceOptions(withDatabase(serverUrl, templateDatabase), 2)).initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  project.provide('serverUrl', serverUrl.toString());
  project.provide('templateDatabase', templateDatabase);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('secureKafka', secureListener());

  return async () => {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  };
}

function secureListener(): SecureListener | null {
  const brokers = process.env.E2E_KAFKA_SASL_SSL_BROKERS;
  const secretsDir = process.env.E2E_KAFKA_SECURE_DIR;
  if (!brokers && !secretsDir) return null;
  if (!brokers || !secretsDir) throw new Error('E2E_KAFKA_SASL_SSL_BROKERS and E2E_KAFKA_SECURE_DIR are set together or not at all');
  return { brokers, secretsDir };
}

function withDatabase(serverUrl: URL, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(serverUrl: URL, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
