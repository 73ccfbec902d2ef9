import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { describeDatabaseTlsFailure, postgresClientConfig } from '../../apps/resend-service/src/database/postgres-connection.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { sampleRequest } from '../support/requests.js';
import { startService, TEST_API_KEY, TEST_API_SECRET, type RunningService } from '../support/service-harness.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { issueCertificate, makeTestCa, type TestCa } from '../support/test-certificates.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

/**
 * PostgreSQL over TLS: a private server started with `ssl=on` and a certificate from a CA made
 * here; the service connects with DATABASE_SSL_MODE up to verify-full.
 */
describe('PostgreSQL over TLS (private server with ssl=on)', () => {
  let dir: string;
  let ca: TestCa;
  let otherCa: TestCa;
  let server: PrivatePostgres;
  let databaseUrl: string;
  let simulator: RunningSimulator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resend-relay-pg-tls-'));
    ca = await makeTestCa(dir, 'postgres-test-ca');
    otherCa = await makeTestCa(dir, 'some-other-ca');
    // Named by its IP address only: `localhost` is not in it.
    const certificate = await issueCertificate(ca, dir, 'postgres-server', ['IP:127.0.0.1']);
    server = await PrivatePostgres.start({ tls: certificate });
    databaseUrl = await server.createMigratedDatabase('resend_relay_tls');
    simulator = await RunningSimulator.start();
  });

  afterAll(async () => {
    await simulator?.close();
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Connects as the service would with these settings; returns whether the session is encrypted. */
  async function connectAs(settings: Record<string, string>): Promise<boolean> {
    const config = loadConfig({
      ITNIOTECH_API_KEY: TEST_API_KEY,
      ITNIOTECH_API_SECRET: TEST_API_SECRET,
      DATABASE_URL: databaseUrl,
      ...settings,
    });
    const dataSource = await new DataSource(dataSourceOptions(postgresClientConfig(config.database), 1)).initialize();
    try {
      const [row] = await dataSource.query(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`);
      return row.ssl;
    } finally {
      await dataSource.destroy();
    }
  }

  describe('the service with DATABASE_SSL_MODE=verify-full', () => {
    let service: RunningService;
    let kafka: KafkaTestClient;

    beforeAll(async () => {
      service = await startService(simulator.url, {
        DATABASE_URL: databaseUrl,
        DATABASE_SSL_MODE: 'verify-full',
        DATABASE_SSL_CA_FILE: ca.certFile,
        KAFKA_GROUP_ID: 'resend-relay-pg-tls',
      });
      kafka = new KafkaTestClient(e2e.kafkaBrokers);
      await kafka.watch([TOPICS.completed]);
    });

    afterAll(async () => {
      await kafka?.close();
      await service?.stop();
    });

    it('runs the flow with every connection of the service encrypted (pool and LISTEN)', async () => {
      const sent = sampleRequest();
      await kafka.sendJson(TOPICS.requested, sent);
      await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);

      const dataSource = service.app.get(DataSource);
      const [own] = await dataSource.query(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`);
      expect(own.ssl).toBe(true);
      const listeners: { ssl: boolean }[] = await dataSource.query(
        `SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.query LIKE 'LISTEN%'`,
      );
      expect(listeners.length).toBeGreaterThan(0);
      expect(listeners.every((listener) => listener.ssl)).toBe(true);
      const requests = await dataSource.query(`SELECT status FROM resend_request WHERE request_id = $1`, [sent.requestId]);
      expect(requests).toEqual([{ status: 'completed' }]);
    });
  });

  it('stops at start-up with one clear line when the CA is not the one that signed the server certificate', async () => {
    const started = Date.now();
    const instance = ServiceProcess.spawn('pg-tls-wrong-ca', simulator.url, {
      DATABASE_URL: databaseUrl,
      DATABASE_SSL_MODE: 'verify-full',
      DATABASE_SSL_CA_FILE: otherCa.certFile,
    });
    expect(await instance.waitForExit()).toBe(1);
    // Not after the minute of retries meant for a database that is still starting.
    expect(Date.now() - started).toBeLessThan(30_000);
    // Nest's own report of the failed start-up, then main's: the same line, without a stack.
    const lines = instance.log.split('\n').filter((line) => line.includes('PostgreSQL: '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(
        /PostgreSQL: the server's TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): DATABASE_SSL_CA_FILE must hold the CA that signed it\]?$/,
      );
    }
    expect(instance.log).not.toMatch(/^\s+at /m);
  });

  it('verify-full checks the host name; verify-ca only the chain; require only encrypts; disable does not', async () => {
    const byName = new URL(databaseUrl);
    byName.hostname = 'localhost';
    const failure = await connectAs({
      DATABASE_URL: byName.toString(),
      DATABASE_SSL_MODE: 'verify-full',
      DATABASE_SSL_CA_FILE: ca.certFile,
    }).then(
      () => null,
      (error: unknown) => describeDatabaseTlsFailure(error),
    );
    expect(failure).toMatch(/does not name the host in DATABASE_URL \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(await connectAs({ DATABASE_URL: byName.toString(), DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: ca.certFile })).toBe(
      true,
    );
    expect(await connectAs({ DATABASE_SSL_MODE: 'require' })).toBe(true);
    expect(await connectAs({ DATABASE_SSL_MODE: 'disable' })).toBe(false);
    await expect(connectAs({ DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: otherCa.certFile })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });
});
