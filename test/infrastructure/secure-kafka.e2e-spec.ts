import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/database.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { forgetProcessGroup, noteProcessGroup } from '../support/process-groups.js';
import { SecureKafkaBroker, serviceAcls } from '../support/secure-kafka-broker.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const RELAY_USER = 'resend-relay';
const LIMITED_USER = 'resend-relay-limited';

/**
 * The service against a SASL_SSL listener with ACLs enforced (the run broker's own, or a broker in
 * scripts/kafka.sh secure mode when the run has none: test/support/secure-kafka-broker.ts): the
 * whole flow as a user holding exactly the documented ACLs, a user missing one of them, and the
 * connection mistakes that must stop the start-up with one clear line. Every ACL is on this file's
 * own topics and groups.
 */
describe('Kafka over TLS + SASL with least-privilege ACLs (real secure broker)', () => {
  let broker: SecureKafkaBroker;
  let simulator: RunningSimulator;
  let secretsDir: string;
  const apiSecret = `api-secret-${randomBytes(12).toString('hex')}`;
  const databasePassword = `db-password-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    broker = await SecureKafkaBroker.forFile([RELAY_USER, LIMITED_USER]);
    simulator = await RunningSimulator.start({ apiSecret });
    secretsDir = mkdtempSync(join(tmpdir(), 'resend-relay-secrets-'));
    writeFileSync(join(secretsDir, 'api-secret'), `${apiSecret}\n`, { mode: 0o600 });
    writeFileSync(join(secretsDir, 'db-password'), databasePassword, { mode: 0o600 });
  });

  afterAll(async () => {
    await simulator?.close();
    await broker?.close();
    if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
  });

  /** The service's environment with every secret from a file (and none of them as a variable). */
  function secureEnvironment(user: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...broker.serviceEnvironment(user),
      ITNIOTECH_API_SECRET: '',
      ITNIOTECH_API_SECRET_FILE: join(secretsDir, 'api-secret'),
      DATABASE_PASSWORD_FILE: join(secretsDir, 'db-password'),
      ...extra,
    };
  }

  describe('as a user holding exactly the documented ACLs', () => {
    const groupId = `${e2e.groupId}.secure`;
    let service: ServiceProcess;
    let kafka: KafkaTestClient;
    let db: TestDatabase;

    beforeAll(async () => {
      await broker.createTopics(Object.values(TOPICS));
      await broker.grant(RELAY_USER, serviceAcls(TOPICS, groupId));
      kafka = new KafkaTestClient(broker.brokers, broker.clientConfig());
      await kafka.watch([TOPICS.completed, TOPICS.failed, TOPICS.deadLetter]);
      db = new TestDatabase();
      service = await ServiceProcess.start(
        'secure-flow',
        simulator.url,
        secureEnvironment(RELAY_USER, { KAFKA_GROUP_ID: groupId, KAFKA_TOPIC_REQUESTED: TOPICS.requested, LOG_LEVEL: 'debug' }),
      );
    });

    afterAll(async () => {
      await service?.stop();
      await kafka?.close();
      await db?.close();
    });

    it('completes, fails and dead-letters requests over TLS + SCRAM with mutual TLS, and /health is green', async () => {
      const good = sampleRequest();
      const rejected = sampleRequest({ scriptId: 999_999 });
      await kafka.sendJson(TOPICS.requested, good);
      await kafka.sendJson(TOPICS.requested, rejected);
      await kafka.send(TOPICS.requested, [{ key: 'poison', value: `not json ${apiSecret.length}` }]);

      const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === good.requestId);
      expect(completed!.json).toMatchObject({ keyId: good.keyId, attempts: 1 });
      expect(await simulator.tasksFor(good.keyId)).toHaveLength(1);
      await kafka.waitForMessages(TOPICS.failed, (m) => m.json?.requestId === rejected.requestId);
      await kafka.waitForMessages(TOPICS.deadLetter, (m) => m.key === 'poison');

      const health = await request(service.url).get('/health');
      expect(health.status).toBe(200);
      expect(health.body.details).toMatchObject({ kafka: { status: 'up' }, outbox: { status: 'up' } });
    });

    it('serves scripts/publish-sample with the same settings (here SASL PLAIN over TLS)', async () => {
      const sample = spawn(process.execPath, ['dist/scripts/publish-sample.js'], {
        env: {
          PATH: process.env.PATH,
          ...broker.serviceEnvironment('admin', 'plain'),
          KAFKA_TOPIC_REQUESTED: TOPICS.requested,
          KAFKA_TOPIC_COMPLETED: TOPICS.completed,
          KAFKA_TOPIC_FAILED: TOPICS.failed,
          SAMPLE_TIMEOUT_MS: '45000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      noteProcessGroup(sample.pid!, 'publish-sample');
      let output = '';
      sample.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      sample.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exitCode = await new Promise<number | null>((resolve) => sample.on('exit', resolve));
      forgetProcessGroup(sample.pid!);
      expect(output).toContain(`received from ${TOPICS.completed}`);
      expect(exitCode).toBe(0);
      expect(output).not.toContain(broker.password('admin'));
    }, 60_000);

    it('never lets a secret into its log, the database or the topics (successes and failures alike)', async () => {
      const secrets = { apiSecret, databasePassword, saslPassword: broker.password(RELAY_USER) };
      // A start-up that fails on a wrong password is part of the run: its output is searched too.
      const wrongPasswordFile = join(secretsDir, 'wrong-password');
      const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
      writeFileSync(wrongPasswordFile, wrongPassword);
      const refused = ServiceProcess.spawn(
        'secure-wrong-password',
        simulator.url,
        secureEnvironment(RELAY_USER, { KAFKA_SASL_PASSWORD_FILE: wrongPasswordFile }),
      );
      expect(await refused.waitForExit()).toBe(1);

      const tables = ['resend_request', 'submission_attempt', 'dead_letter', 'outbox_event'];
      const databaseText = (await Promise.all(tables.map((table) => db.rows(`SELECT t::text AS row FROM ${table} t`))))
        .flat()
        .map((row) => row.row)
        .join('\n');
      const topicText = kafka.received.map((m) => `${m.key} ${m.value?.toString('latin1')} ${JSON.stringify(m.headers)}`).join('\n');
      expect(databaseText.length).toBeGreaterThan(0);
      expect(topicText).toContain('not json');
      for (const [name, secret] of Object.entries({ ...secrets, wrongPassword })) {
        expect(service.log, `${name} in the service's log`).not.toContain(secret);
        expect(refused.log, `${name} in the refused start-up's log`).not.toContain(secret);
        expect(databaseText, `${name} in the database`).not.toContain(secret);
        // bytea columns (message keys, values) read as hex in a row's text form.
        expect(databaseText, `${name} in the database's bytes`).not.toContain(Buffer.from(secret).toString('hex'));
        expect(topicText, `${name} on the topics`).not.toContain(secret);
      }
    });
  });

  describe('as a user without WRITE on the completed topic', () => {
    const topics = {
      requested: `${TOPICS.requested}.limited`,
      completed: `${TOPICS.completed}.limited`,
      failed: `${TOPICS.failed}.limited`,
      deadLetter: `${TOPICS.deadLetter}.limited`,
    };
    const groupId = `${e2e.groupId}.limited`;
    const completedWrite = { resource: 'topic', name: topics.completed, operation: 'WRITE' } as const;
    let service: ServiceProcess;
    let kafka: KafkaTestClient;
    let db: TestDatabase;

    beforeAll(async () => {
      await broker.createTopics(Object.values(topics));
      const allButOne = serviceAcls(topics, groupId).filter((grant) => grant.name !== topics.completed);
      await broker.grant(LIMITED_USER, allButOne);
      kafka = new KafkaTestClient(broker.brokers, broker.clientConfig());
      await kafka.watch([topics.completed]);
      db = new TestDatabase();
      // A real process: intake reads its topic name from the environment at import.
      service = await ServiceProcess.start(
        'secure-limited',
        simulator.url,
        secureEnvironment(LIMITED_USER, {
          KAFKA_GROUP_ID: groupId,
          KAFKA_TOPIC_REQUESTED: topics.requested,
          KAFKA_TOPIC_COMPLETED: topics.completed,
          KAFKA_TOPIC_FAILED: topics.failed,
          KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
        }),
      );
    });

    afterAll(async () => {
      await service?.stop();
      await kafka?.close();
      await db?.close();
    });

    it('keeps the event in the outbox with /health red and the reason, and publishes it once WRITE is granted', async () => {
      const sent = sampleRequest();
      await kafka.sendJson(topics.requested, sent);

      const held = await waitFor('the completed event to be refused by Kafka', async () => {
        const row = await db.one(
          `SELECT id, published_at, last_error FROM outbox_event
            WHERE topic = $1 AND convert_from(message_value, 'UTF8')::jsonb ->> 'requestId' = $2`,
          [topics.completed, sent.requestId],
        );
        return row?.last_error ? row : undefined;
      });
      expect(held.published_at).toBeNull();
      expect(held.last_error).toMatch(
        new RegExp(`denied publishing to ${topics.completed.replaceAll('.', '\\.')} \\(TOPIC_AUTHORIZATION_FAILED\\).*needs WRITE`),
      );

      // The row's error and the relay's state are written by different steps: /health may turn red a moment later.
      const health = await waitFor('/health to be red with the reason', async () => {
        const answer = await request(service.url).get('/health');
        return answer.status === 503 && answer.body.details?.outbox?.status === 'down' ? answer : undefined;
      });
      expect(health.body.details.kafka.status).toBe('up');
      expect(health.body.details.outbox).toMatchObject({ status: 'down', error: expect.stringContaining('needs WRITE') });
      expect(kafka.messagesOn(topics.completed)).toHaveLength(0);

      await broker.grant(LIMITED_USER, [completedWrite]);
      // The relay backs off (up to 30 s) between failed tries: the next one publishes it.
      const [published] = await kafka.waitForMessages(topics.completed, (m) => m.json?.requestId === sent.requestId, 1, 45_000);
      expect(published!.headers.ce_id).toBe(held.id);
      await waitFor('/health to turn green', async () => (await request(service.url).get('/health')).status === 200 || undefined);
      expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
    }, 120_000);
  });

  describe('connection mistakes stop the start-up with one clear line', () => {
    const mistakes: [string, () => Record<string, string>, RegExp][] = [
      [
        'a wrong password',
        () => ({ KAFKA_SASL_PASSWORD_FILE: join(secretsDir, 'db-password') }),
        /refused the SASL scram-sha-512 login of user "resend-relay".*check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/,
      ],
      [
        'an untrusted CA',
        () => ({ KAFKA_SSL_CA_FILE: broker.file('other-ca.pem') }),
        /TLS certificate of .* is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\): KAFKA_SSL_CA_FILE/,
      ],
      [
        'a host name the certificate does not hold (verification is on by default)',
        () => ({ KAFKA_BROKERS: `127.1:${broker.port}` }),
        /does not name the host in KAFKA_BROKERS \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
      ],
      [
        'plaintext to the TLS port',
        () => ({
          KAFKA_SSL: '',
          KAFKA_SSL_CA_FILE: '',
          KAFKA_SSL_CERT_FILE: '',
          KAFKA_SSL_KEY_FILE: '',
          KAFKA_SASL_MECHANISM: '',
          KAFKA_SASL_USERNAME: '',
          KAFKA_SASL_PASSWORD_FILE: '',
        }),
        /closed the connection before answering, 3 times in a row: does the listener expect TLS \(KAFKA_SSL=true\) or SASL/,
      ],
      [
        'TLS to a plaintext port',
        () => ({ KAFKA_BROKERS: e2e.kafkaBrokers }),
        /closed the connection during the TLS handshake: is it a plaintext listener\?/,
      ],
    ];

    it.each(mistakes)('%s', async (name, environment, expected) => {
      const started = Date.now();
      const instance = ServiceProcess.spawn(
        `secure-mistake-${name.split(' ').slice(0, 3).join('-')}`,
        simulator.url,
        secureEnvironment(RELAY_USER, environment()),
      );
      expect(await instance.waitForExit()).toBe(1);
      expect(Date.now() - started).toBeLessThan(30_000);
      // One line says what is wrong; no "not ready, retrying" lines before it.
      const kafkaLines = instance.log.split('\n').filter((line) => /^Kafka: |Kafka not ready/.test(line));
      expect(kafkaLines).toHaveLength(1);
      expect(kafkaLines[0]).toMatch(expected);
      for (const secret of [broker.password(RELAY_USER), databasePassword, apiSecret]) expect(instance.log).not.toContain(secret);
    });
  });
});
