import { randomBytes } from 'node:crypto';
import { DEFAULT_TOPICS } from '#contracts';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { TestProject } from 'vitest/node';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';

/**
 * Once per e2e run: a database of its own on the PostgreSQL server of DATABASE_URL (created,
 * migrated, dropped at the end) and the Kafka brokers that scripts/test.sh started.
 */
export default async function setup(project: TestProject) {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  if (!kafkaBrokers) throw new Error('KAFKA_BROKERS is not set: run the e2e tests through `npm test`');
  const serverUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  const databaseName = `resend_relay_e2e_${randomBytes(4).toString('hex')}`;

  await adminQuery(serverUrl, `CREATE DATABASE ${databaseName}`);
  const databaseUrl = withDatabase(serverUrl, databaseName);
  const dataSource = await new DataSource(dataSourceOptions(databaseUrl, 2)).initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  await createTopics(kafkaBrokers);

  project.provide('databaseUrl', databaseUrl);
  project.provide('kafkaBrokers', kafkaBrokers);

  return async () => {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  };
}

/** Created up front (as the service would), so tests can watch the outcome topics before any service runs. */
async function createTopics(brokers: string): Promise<void> {
  const admin = new Kafka({ clientId: 'e2e-setup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(DEFAULT_TOPICS).filter((topic) => !existing.has(topic));
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 3 })) });
  } finally {
    await admin.disconnect();
  }
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

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    kafkaBrokers: string;
  }
}
