import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDatabaseConfig } from '../../apps/resend-service/src/config/app-config.js';
import { classifyDatabaseError } from '../../apps/resend-service/src/database/database-errors.js';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { recordScenario, suiteSize, waitUntilSettled, type InvariantReport } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { publishRequests, scenarioTopic, terminalCount, waitForHealth, type Request } from '../support/scenario-kit.js';
import { useServiceProcesses } from '../support/service-processes.js';
import type { ServiceProcess } from '../support/service-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, serverQuery, TOPICS } from '../support/e2e-context.js';

/**
 * Short bounds, so that a scenario takes seconds: a statement the server has not answered in 3 s
 * fails on the client (and its connection is destroyed), the server cancels one after 2 s and ends
 * a session idle in a transaction after 3 s (the silenced connections' sessions, which may hold
 * locks), and readiness turns red after 1.5 s without progress while work waits.
 */
const DATABASE_BOUNDS = {
  DATABASE_STATEMENT_TIMEOUT_MS: '2000',
  DATABASE_QUERY_TIMEOUT_MS: '3000',
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '3000',
  DATABASE_CONNECT_TIMEOUT_MS: '2000',
  STAGE_STALL_MS: '1500',
};
const SETTLE_TIMEOUT_MS = 90_000;

/**
 * PostgreSQL misbehaving while requests flow, the service a real process throughout: every pooled
 * connection going silent (a failover behind a stable address), the database read-only for a while
 * (a pooler or a stale address landing on a standby), a privilege revoked. Each is waited out:
 * readiness red while a stage makes no progress, green again by itself, no valid request
 * dead-lettered, each with exactly one outcome, the process never restarted.
 */
describe('database faults: silent connections, a read-only database, a revoked privilege', { timeout: 300_000 }, () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed, TOPICS.deadLetter] });
  const cleanups: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  function expectEachAnsweredOnce(report: InvariantReport, sent: Request[]) {
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ completed: sent.length });
  }

  it('the pool: a statement the server never answers fails after DATABASE_QUERY_TIMEOUT_MS, and its connection is not used again', async () => {
    const proxy = await TcpProxy.start('http://127.0.0.1:5432');
    cleanups.push(() => proxy.close());
    const { database } = loadDatabaseConfig({ DATABASE_URL: proxy.postgresUrl(e2e.databaseName), ...DATABASE_BOUNDS });
    const dataSource = await new DataSource(dataSourceOptions(database.url, 2, database.limits)).initialize();
    cleanups.push(() => dataSource.destroy());
    const sql = new Sql(dataSource);
    // Both connections of the pool open, then silent.
    await sql.transaction(async (transaction) => Promise.all([transaction.query('SELECT 1'), sql.query('SELECT 1')]));
    expect(proxy.silenceExisting()).toBe(2);

    const began = Date.now();
    const failure = await sql.transaction((transaction) => transaction.query('SELECT 1')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(classifyDatabaseError(failure)).toBe('outage');
    expect(Date.now() - began).toBeLessThan(Number(DATABASE_BOUNDS.DATABASE_QUERY_TIMEOUT_MS) + 2_000);
    // The other silent connection fails once too; after that, only new connections are used.
    await waitFor(
      'a statement to be answered on a new connection',
      () =>
        sql.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      20_000,
      0,
    );
    for (let statement = 0; statement < 5; statement += 1) {
      expect(await sql.transaction((transaction) => transaction.query<{ one: number }>('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
    }
  });

  it('every pooled connection goes silent while requests arrive at a steady rate: each gets one outcome, readiness red then green, no restart', async () => {
    const startedAt = Date.now();
    const proxy = await TcpProxy.start('http://127.0.0.1:5432');
    cleanups.push(() => proxy.close());
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'silent-failover');
    const service = await parts.start('silent-failover', {
      ...scenario.env,
      ...DATABASE_BOUNDS,
      DATABASE_URL: proxy.postgresUrl(e2e.databaseName),
    });
    await waitForHealth(service.url, 200);
    const readiness = sampleReadiness(service);

    const perSecond = 10;
    const before = await sendSteadily(scenario.topic, suiteSize(30, 100), perSecond);
    await waitFor('the first requests to be answered', async () => (await terminalCount(parts.db, before)) === before.length, 60_000);
    const silencedAt = Date.now();
    const silenced = proxy.silenceExisting();
    expect(silenced).toBeGreaterThan(0);
    const during = await sendSteadily(scenario.topic, suiteSize(60, 200), perSecond);

    const sent = [...before, ...during];
    const report = await waitUntilSettled(sent, parts, SETTLE_TIMEOUT_MS);
    await waitForHealth(service.url, 200, 60_000);
    await readiness.stop();
    const recoveredInSeconds = (Date.now() - silencedAt) / 1000;
    recordScenario(
      'silent failover',
      `${silenced} pooled connections silent (no reset), ${during.length} sent after at ${perSecond}/s; settled ${Math.round(recoveredInSeconds)} s after`,
      report,
      startedAt,
    );
    expectEachAnsweredOnce(report, sent);
    expect(parts.kafka.messagesOn(TOPICS.deadLetter, () => true)).toEqual([]);
    expect(readiness.redAfter(silencedAt), readiness.describe()).toBe(true);
    expectNeverRestarted(service);
  });

  it('the database read-only for 10 s while 20 requests arrive: none dead-lettered, readiness red, 20 outcomes once it is writable', async () => {
    const startedAt = Date.now();
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'read-only');
    const service = await parts.start('read-only', { ...scenario.env, ...DATABASE_BOUNDS });
    await waitForHealth(service.url, 200);
    const readiness = sampleReadiness(service);
    const requests = Array.from({ length: 20 }, () => sampleRequest());
    const logBefore = service.log.length;

    const readOnlyAt = Date.now();
    await setReadOnly(true);
    cleanups.push(() => setReadOnly(false));
    try {
      await publishRequests(parts.kafka, scenario.topic, requests);
      await waitFor(
        'intake to be refused by the read-only database',
        () => /cannot record .* yet \(.*read-only/.test(service.log.slice(logBefore)),
        30_000,
      );
      await waitForHealth(service.url, 503, 30_000);
      // The fault lasts its 10 s: a refusal waited out for a while, not for a moment.
      await waitFor('10 s of read-only database', () => Date.now() - readOnlyAt >= 10_000, 20_000, 250);
    } finally {
      await setReadOnly(false);
    }
    const readOnlySeconds = Math.round((Date.now() - readOnlyAt) / 1000);

    const report = await waitUntilSettled(requests, parts, SETTLE_TIMEOUT_MS);
    await waitForHealth(service.url, 200, 60_000);
    await readiness.stop();
    recordScenario('read-only database', `default_transaction_read_only for ${readOnlySeconds} s`, report, startedAt);
    expectEachAnsweredOnce(report, requests);
    expect(await deadLettersOf(scenario.topic)).toEqual([]);
    expect(readiness.redAfter(readOnlyAt), readiness.describe()).toBe(true);
    expectNeverRestarted(service);
  });

  it('INSERT on resend_request revoked from the service’s role: waited out (42501), not dead-lettered, answered once granted again', async () => {
    const role = `resend_e2e_${e2e.databaseName.slice(-6)}`;
    await grantServiceRole(role);
    cleanups.push(() => dropRole(role));
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'revoked');
    const url = new URL(e2e.databaseUrl);
    url.username = role;
    const service = await parts.start('revoked', { ...scenario.env, ...DATABASE_BOUNDS, DATABASE_URL: url.toString() });
    await waitForHealth(service.url, 200);
    const requests = Array.from({ length: 5 }, () => sampleRequest());
    const logBefore = service.log.length;

    await databaseQuery(`REVOKE INSERT ON resend_request FROM ${role}`);
    try {
      await publishRequests(parts.kafka, scenario.topic, requests);
      await waitFor(
        'intake to be refused for want of a privilege',
        () => /cannot record .* yet \(.*permission denied/.test(service.log.slice(logBefore)),
        30_000,
      );
      await waitForHealth(service.url, 503, 30_000);
    } finally {
      await databaseQuery(`GRANT INSERT ON resend_request TO ${role}`);
    }

    const report = await waitUntilSettled(requests, parts, SETTLE_TIMEOUT_MS);
    await waitForHealth(service.url, 200, 60_000);
    expectEachAnsweredOnce(report, requests);
    expect(await deadLettersOf(scenario.topic)).toEqual([]);
  });

  /** Publishes `count` new requests, `perSecond` of them a second, one at a time. */
  async function sendSteadily(topic: string, count: number, perSecond: number): Promise<Request[]> {
    const requests = Array.from({ length: count }, () => sampleRequest());
    const began = Date.now();
    for (const [index, request] of requests.entries()) {
      await publishRequests(parts.kafka, topic, [request]);
      const due = began + ((index + 1) * 1000) / perSecond;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
    return requests;
  }

  function deadLettersOf(topic: string) {
    return parts.db.rows(`SELECT reason, error_message FROM dead_letter WHERE kafka_topic = $1`, [topic]);
  }
});

/**
 * Read-only for new sessions of the file's database, and the sessions open now ended so that the
 * service's next ones take it up (ALTER SYSTEM would change the whole server, other files included).
 */
async function setReadOnly(readOnly: boolean): Promise<void> {
  const name = pg.escapeIdentifier(e2e.databaseName);
  await serverQuery(
    readOnly
      ? `ALTER DATABASE ${name} SET default_transaction_read_only = on`
      : `ALTER DATABASE ${name} RESET default_transaction_read_only`,
  );
  await serverQuery(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${e2e.databaseName}' AND pid <> pg_backend_pid()`,
  );
}

/** A statement on the file's database, as the superuser. */
async function databaseQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: e2e.databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A login role with what the service needs on the file's database (the server trusts local connections). */
async function grantServiceRole(role: string): Promise<void> {
  await serverQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await serverQuery(`CREATE ROLE ${role} LOGIN`);
  await databaseQuery(
    `GRANT USAGE ON SCHEMA public TO ${role};
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
     GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role};
     GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role}`,
  );
}

async function dropRole(role: string): Promise<void> {
  await databaseQuery(`DROP OWNED BY ${role}`);
  await serverQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}' AND pid <> pg_backend_pid()`);
  await serverQuery(`DROP ROLE IF EXISTS ${role}`);
}

/** The process answered its first /health and kept running: one start in its log, no exit. */
function expectNeverRestarted(service: ServiceProcess): void {
  expect(service.log.match(/listening on http/g)).toHaveLength(1);
  expect(service.log).not.toMatch(/uncaught|unhandled/i);
}

/** GET /health every 200 ms in the background: when it was red and when green. */
function sampleReadiness(service: ServiceProcess) {
  const samples: { at: number; status: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const status = await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => response.status,
        () => 0,
      );
      samples.push({ at, status });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: () => {
      running = false;
      return loop;
    },
    redAfter: (since: number) => samples.some((sample) => sample.at >= since && sample.status === 503),
    describe: () => {
      const changes = samples.filter((sample, index) => index === 0 || samples[index - 1]!.status !== sample.status);
      return changes.map((sample) => `${new Date(sample.at).toISOString()} ${sample.status}`).join(', ');
    },
  };
}
