import { createKafkaClient } from '#common';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEFAULT_TOPICS } from '#contracts';
import { logLevel, type KafkaConfig } from 'kafkajs';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { waitFor } from './wait-for.js';

export type TopicNames = { [name in keyof typeof DEFAULT_TOPICS]: string };

/**
 * What one e2e file works on, and no other file sees: a database cloned from the migrated
 * template, the four topics under names of its own, and a consumer group of its own. Files run
 * side by side, so nothing one leaves behind (a retrying request, an unpublished outcome, a
 * committed offset) can change what another counts.
 */
export interface E2eContext {
  /** A short name of the file, in the names of its database, topics and group. */
  label: string;
  databaseUrl: string;
  databaseName: string;
  kafkaBrokers: string;
  topics: TopicNames;
  groupId: string;
}

/**
 * Made once per file, when the file's first module imports this one (test/support/e2e-file.ts
 * is a setup file of the e2e projects, so that is before the file's own code runs).
 */
export const e2e: E2eContext = await createContext();

/** The file's topics, under the names the service and the tests use. */
export const TOPICS: TopicNames = e2e.topics;

async function createContext(): Promise<E2eContext> {
  await buildAndBrokerReady();
  const label = fileLabel();
  const suffix = `${label}_${randomBytes(3).toString('hex')}`;
  const databaseName = `resend_relay_e2e_${suffix}`.toLowerCase();
  const kafkaBrokers = inject('kafkaBrokers');
  const databaseUrl = await cloneTemplate(databaseName);
  const topics = Object.fromEntries(Object.entries(DEFAULT_TOPICS).map(([name, topic]) => [name, `${topic}.${suffix}`])) as TopicNames;
  await createTopics(kafkaBrokers, Object.values(topics));
  return { label, databaseUrl, databaseName, kafkaBrokers, topics, groupId: `resend-relay-e2e-${suffix}` };
}

/**
 * scripts/test.sh builds dist/ (which e2e tests run as processes) and starts the broker while the
 * tests start, and notes each one's exit status in E2E_READY_DIR: an e2e file waits for both.
 * Without the variable (vitest run by hand) both are taken as ready.
 */
async function buildAndBrokerReady(): Promise<void> {
  const readyDir = process.env.E2E_READY_DIR;
  if (!readyDir) return;
  for (const step of ['build', 'kafka'] as const) {
    const status = await waitFor(
      `scripts/test.sh's ${step} step to end`,
      async () => (await readFile(join(readyDir, step), 'utf8').catch(() => '')).trim() || undefined,
      300_000,
      250,
    );
    if (status !== '0')
      throw new Error(`scripts/test.sh's ${step} step failed (exit status ${status}): its output is shown at the end of the run`);
  }
}

/** `test/outbox/outbox-claim-plan.e2e-spec.ts` → `outbox_claim_plan`. */
function fileLabel(): string {
  const path = expect.getState().testPath ?? 'file';
  return basename(path)
    .replace(/\.e2e-spec\.ts$/, '')
    .replace(/[^a-z0-9]+/gi, '_')
    .slice(0, 30);
}

/**
 * CREATE DATABASE … TEMPLATE: a copy of the schema global-setup migrated once, in a fraction of
 * the time the migrations take. PostgreSQL refuses the copy while another session is connected to
 * the template (an earlier copy finishing), so a refusal is tried again.
 */
export async function cloneTemplate(databaseName: string): Promise<string> {
  const template = inject('templateDatabase');
  for (let attempt = 1; ; attempt += 1) {
    try {
      await serverQuery(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)} TEMPLATE ${pg.escapeIdentifier(template)}`);
      return databaseUrlOf(databaseName);
    } catch (error) {
      const inUse = (error as { code?: string }).code === '55006';
      if (!inUse || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The URL of a database on the e2e server. */
export function databaseUrlOf(databaseName: string): string {
  const url = new URL(inject('serverUrl'));
  url.pathname = `/${databaseName}`;
  return url.toString();
}

/** A statement run on the e2e server's `postgres` database (CREATE / DROP DATABASE). */
export async function serverQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrlOf('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates the topics and waits until each partition has a leader. kafkajs's own wait
 * (`waitForLeaders`) gives up on the "does not host this topic-partition" a broker answers while
 * it is still creating many topics at once (files start side by side): this wait asks again.
 * `connection`: TLS and SASL settings, for a secure listener.
 */
export async function createTopics(
  brokers: string,
  topics: string[],
  numPartitions = 3,
  connection: Omit<KafkaConfig, 'brokers'> = {},
): Promise<void> {
  const admin = createKafkaClient({
    clientId: 'e2e-context',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    ...connection,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions })) });
    await waitFor(
      `leaders for every partition of ${topics.join(', ')}`,
      async () => {
        const metadata = await admin.fetchTopicMetadata({ topics });
        return metadata.topics.every(
          (topic) => topic.partitions.length === numPartitions && topic.partitions.every((partition) => partition.leader >= 0),
        );
      },
      60_000,
      200,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Drops the file's database and deletes its topics (test/support/e2e-file.ts, after the file). */
export async function releaseContext(): Promise<void> {
  await serverQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(e2e.databaseName)} WITH (FORCE)`);
  const admin = createKafkaClient({ clientId: 'e2e-context', brokers: e2e.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: Object.values(e2e.topics) });
  } finally {
    await admin.disconnect();
  }
}

/** A SASL_SSL listener and the directory where scripts/kafka.sh put its CA, certificates and passwords. */
export interface SecureListener {
  brokers: string;
  secretsDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The e2e PostgreSQL server (no database), e.g. postgres://postgres@127.0.0.1:5432/. */
    serverUrl: string;
    /** The migrated database every file's own database is cloned from. */
    templateDatabase: string;
    kafkaBrokers: string;
    /** The run broker's SASL_SSL listener (scripts/test.sh), or null when the run has none. */
    secureKafka: SecureListener | null;
  }
}
