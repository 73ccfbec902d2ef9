import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serverQuery, TestDatabase } from '../support/database.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { scenarioTopic } from '../support/scenario-kit.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

/**
 * The bar: log lines within 2 s. The first line comes before the app's modules are loaded
 * (seconds on a busy machine); the line naming the missing dependency right after the app listens.
 */
const WITHIN_MS = 2_000;

/**
 * Start-up while a dependency is down: the process logs from its first second, listens at once
 * (/health/live 200, /health 503 naming what is missing), logs each retry with its cause, and
 * starts the flow by itself once the dependency is back. A SIGTERM during the wait ends it at
 * once, exit 0. The service runs as a real process; Kafka and PostgreSQL are real, made
 * unreachable by a TCP proxy that refuses connections until it is opened.
 */
describe('start-up while a dependency is down', () => {
  const brokers = e2e.kafkaBrokers;
  let simulator: RunningSimulator;
  let kafka: KafkaTestClient;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    simulator = await RunningSimulator.start();
    kafka = new KafkaTestClient(brokers);
    await kafka.watch([TOPICS.completed]);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await kafka?.close();
    await simulator?.close();
  });

  /** A proxy in front of `target` (host:port) that refuses connections until `open()`. */
  async function closedProxyTo(target: string): Promise<{ proxy: TcpProxy; address: string }> {
    const proxy = await TcpProxy.start(`tcp://${target}`);
    await proxy.close();
    cleanups.push(() => proxy.close());
    return { proxy, address: new URL(proxy.url).host };
  }

  /** A service as a real process with a requested topic and group of its own, not waiting for its flow to start. */
  async function startWaiting(name: string, env: Record<string, string>): Promise<{ service: ServiceProcess; topic: string }> {
    const scenario = await scenarioTopic(brokers, name);
    const service = await ServiceProcess.start(
      `startup-${name}-${randomBytes(2).toString('hex')}`,
      simulator.url,
      { ...scenario.env, ...env },
      {
        waitForFlow: false,
      },
    );
    cleanups.push(() => service.stop());
    return { service, topic: scenario.topic };
  }

  /** Logs within 2 s (see WITHIN_MS), live 200, ready 503 naming `missing`. */
  async function expectWaitingFor(service: ServiceProcess, logLine: RegExp, missing: 'database' | 'kafka') {
    // Lines carry their pino time: ServiceProcess.start has already waited for "listening".
    const firstLineMs = logTime(service, /starting resend-service/) - service.startedAt;
    const listening = logTime(service, /listening on/);
    await service.waitForOutput(logLine, 30_000);
    const dependencyLineMs = logTime(service, logLine) - listening;
    console.info(`${service.name}: first line ${firstLineMs} ms after the spawn; ${logLine} ${dependencyLineMs} ms after listening`);
    expect(firstLineMs, 'first log line after the spawn').toBeLessThan(WITHIN_MS);
    expect(dependencyLineMs, `${logLine} after the app listens`).toBeLessThan(WITHIN_MS);
    expect(service.log).toMatch(/retrying in \d+ ms/);
    await request(service.url).get('/health/live').expect(200);
    const health = await request(service.url).get('/health').expect(503);
    expect(health.body.error.flow).toMatchObject({ status: 'down', waitingFor: { [missing]: expect.any(String) } });
    expect(health.body.error[missing]).toMatchObject({ status: 'down' });
  }

  /** The flow starts by itself; a request sent then completes; SIGTERM ends the process with 0. */
  async function expectRequestCompletes({ service, topic }: { service: ServiceProcess; topic: string }) {
    await service.waitForOutput(/flow started/, 60_000);
    await request(service.url).get('/health').expect(200);
    const sent = sampleRequest();
    await kafka.sendJson(topic, sent);
    const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
    expect(completed!.json).toMatchObject({ requestId: sent.requestId, keyId: sent.keyId });
    expect(await service.stop()).toBe(0);
    expectStructuredLogs(service.log, sent);
  }

  it('Kafka unreachable: logs and answers at once, starts the flow when Kafka comes up', async () => {
    const { proxy, address } = await closedProxyTo(brokers.split(',')[0]!);
    const started = await startWaiting('kafka-down', { KAFKA_BROKERS: address });
    await expectWaitingFor(started.service, /Kafka not reachable \(attempt 1\).*(ECONNREFUSED|Connection error)/, 'kafka');
    await proxy.open();
    await expectRequestCompletes(started);
  });

  it('PostgreSQL unreachable: logs and answers at once, starts the flow when PostgreSQL comes up', async () => {
    const databaseUrl = new URL(e2e.databaseUrl);
    const { proxy, address } = await closedProxyTo(databaseUrl.host);
    databaseUrl.host = address;
    const started = await startWaiting('pg-down', { DATABASE_URL: databaseUrl.toString() });
    await expectWaitingFor(started.service, /PostgreSQL not reachable \(attempt 1\).*ECONNREFUSED/, 'database');
    await proxy.open();
    await expectRequestCompletes(started);
  });

  it('the database does not exist yet: waits for it, then migrates it and starts the flow', async () => {
    const serverUrl = new URL(e2e.databaseUrl);
    const name = `resend_relay_startup_${randomBytes(4).toString('hex')}`;
    const databaseUrl = new URL(serverUrl);
    databaseUrl.pathname = `/${name}`;
    const started = await startWaiting('db-missing', { DATABASE_URL: databaseUrl.toString(), DATABASE_MIGRATIONS_RUN: 'true' });
    cleanups.unshift(() => serverQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    await expectWaitingFor(started.service, new RegExp(`PostgreSQL not reachable \\(attempt 1\\).*${name}.*does not exist`), 'database');
    await serverQuery(`CREATE DATABASE ${name}`);
    await expectRequestCompletes(started);
    const db = new TestDatabase(databaseUrl.toString());
    try {
      expect(await db.rows(`SELECT status FROM resend_request`)).toEqual([{ status: 'completed' }]);
    } finally {
      await db.close();
    }
  });

  it('DATABASE_MIGRATIONS_RUN=false applies no migration: the flow starts on the database as it is', async () => {
    const name = `resend_relay_startup_${randomBytes(4).toString('hex')}`;
    const databaseUrl = new URL(e2e.databaseUrl);
    databaseUrl.pathname = `/${name}`;
    await serverQuery(`CREATE DATABASE ${name}`);
    cleanups.unshift(() => serverQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const { service } = await startWaiting('no-migrations', { DATABASE_URL: databaseUrl.toString(), DATABASE_MIGRATIONS_RUN: 'false' });
    await service.waitForOutput(/flow started/, 60_000);
    const db = new TestDatabase(databaseUrl.toString());
    try {
      expect(await db.rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('SIGTERM while waiting for a dependency stops the process at once, exit 0', async () => {
    const { address } = await closedProxyTo(brokers.split(',')[0]!);
    const { service } = await startWaiting('sigterm', { KAFKA_BROKERS: address });
    await service.waitForOutput(/Kafka not reachable/, 10_000);
    const stoppingAt = Date.now();
    service.signal('SIGTERM');
    expect(await service.waitForExit()).toBe(0);
    console.info(`${service.name}: exited ${Date.now() - stoppingAt} ms after SIGTERM`);
    expect(Date.now() - stoppingAt).toBeLessThan(5_000);
    expect(service.log).not.toMatch(/second SIGTERM/);
  });
});

/**
 * Every line about the request carries its requestId and keyId as fields (intake's and the
 * worker's lines at least), kafkajs's lines are structured, not "ERROR [Connection] {json}",
 * and nothing was logged as an error.
 */
function expectStructuredLogs(log: string, sent: { requestId: string; keyId: number }) {
  const lines = log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
  const about = lines.filter((line) => String(line.msg).includes(sent.requestId));
  expect(about.map((line) => line.context)).toEqual(expect.arrayContaining(['IntakeService', 'SubmissionProcessor']));
  for (const line of about) expect(line, line.msg).toMatchObject({ requestId: sent.requestId, keyId: sent.keyId });
  expect(lines.filter((line) => /^(ERROR|WARN|INFO) \[/.test(String(line.msg)))).toEqual([]);
  // Waiting out an outage is not an error: retries, failed readiness probes, kafkajs's reconnects are warnings.
  expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
}

/** The pino `time` of the first log line matching `pattern`. */
function logTime(service: ServiceProcess, pattern: RegExp): number {
  const line = service.log.split('\n').find((entry) => pattern.test(entry));
  if (!line) throw new Error(`${service.name} has not printed ${pattern}`);
  return (JSON.parse(line) as { time: number }).time;
}
