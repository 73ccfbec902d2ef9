import { createKafkaClient } from '#common';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  logLevel,
  ResourcePatternTypes,
  type Admin,
  type KafkaConfig,
} from 'kafkajs';
import { inject } from 'vitest';
import { createTopics, type SecureListener } from './e2e-context.js';
import { freePort } from './free-port.js';
import { forgetProcessGroup, noteProcessGroup } from './process-groups.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../..');
const KAFKA_HOME = process.env.KAFKA_HOME ?? join(REPO, '.kafka');

/** A user's ACL as the docs list it: an operation on a topic or a consumer group. */
export interface AclGrant {
  resource: 'topic' | 'group';
  name: string;
  operation: 'READ' | 'WRITE' | 'DESCRIBE' | 'CREATE';
}

/**
 * A SASL_SSL listener with a CA and certificates, SCRAM/PLAIN users with random passwords, and the
 * StandardAuthorizer (scripts/kafka.sh): the run broker's own (scripts/test.sh starts it with
 * KAFKA_SECURITY=both) when it has one, else a throw-away broker in secure mode on free ports, for
 * a run against a broker given in KAFKA_BROKERS. On the run's broker a file grants its ACLs on its
 * own topics and group only, and takes them back (with the topics it created) at the end.
 */
export class SecureKafkaBroker {
  private adminClient: Admin | null = null;
  private readonly granted: { user: string; grant: AclGrant }[] = [];
  private readonly createdTopics: string[] = [];

  private constructor(
    readonly port: number,
    private readonly secretsDir: string,
    /** Set when the broker is this file's own: it is stopped and deleted at the end. */
    private readonly own: { controllerPort: number; users: string[] } | null,
  ) {}

  /** The run's SASL_SSL listener, or a broker of the file's own when the run has none. */
  static async forFile(users: string[]): Promise<SecureKafkaBroker> {
    const listener = inject('secureKafka');
    return listener ? SecureKafkaBroker.shared(listener, users) : SecureKafkaBroker.start(users);
  }

  /** A throw-away broker in secure mode on free ports. */
  static async start(users: string[]): Promise<SecureKafkaBroker> {
    const port = await freePort();
    const broker = new SecureKafkaBroker(port, join(KAFKA_HOME, `secure-${port}`), { controllerPort: await freePort(), users });
    await broker.script('reset').catch(() => undefined);
    await broker.script('start');
    noteProcessGroup(broker.pid(), `secure kafka ${broker.port}`);
    return broker;
  }

  private static shared(listener: SecureListener, users: string[]): SecureKafkaBroker {
    const broker = new SecureKafkaBroker(Number(listener.brokers.split(':').at(-1)), listener.secretsDir, null);
    const missing = ['admin', ...users].filter((user) => !existsSync(broker.passwordFile(user)));
    if (missing.length > 0) {
      throw new Error(`the run's SASL_SSL listener has no user ${missing.join(', ')}: add them to KAFKA_SASL_USERS in scripts/test.sh`);
    }
    return broker;
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Where the script put the certificates and the users' passwords. */
  file(name: 'ca.pem' | 'other-ca.pem' | 'client.pem' | 'client.key'): string {
    return join(this.secretsDir, name);
  }

  passwordFile(user: string): string {
    return join(this.secretsDir, 'users', user);
  }

  password(user: string): string {
    return readFileSync(this.passwordFile(user), 'utf8').trim();
  }

  /** The service's environment to connect as `user` (password from its file, mutual TLS). */
  serviceEnvironment(user: string, mechanism = 'scram-sha-512'): Record<string, string> {
    return {
      KAFKA_BROKERS: this.brokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: this.file('ca.pem'),
      KAFKA_SSL_CERT_FILE: this.file('client.pem'),
      KAFKA_SSL_KEY_FILE: this.file('client.key'),
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD_FILE: this.passwordFile(user),
    };
  }

  /** kafkajs connection settings for a test client acting as `user` (default: the super user). */
  clientConfig(user = 'admin'): Omit<KafkaConfig, 'brokers'> {
    return {
      ssl: { ca: [readFileSync(this.file('ca.pem'), 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: user, password: this.password(user) },
    };
  }

  /** Creates those of `topics` the broker lacks (on the run's broker the file's own already exist). */
  async createTopics(topics: string[]): Promise<void> {
    const existing = new Set(await (await this.admin()).listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await createTopics(this.brokers, missing, 3, this.clientConfig());
    this.createdTopics.push(...missing);
  }

  async grant(user: string, grants: AclGrant[]): Promise<void> {
    await (await this.admin()).createAcls({ acl: grants.map((grant) => toAcl(user, grant)) });
    this.granted.push(...grants.map((grant) => ({ user, grant })));
  }

  async revoke(user: string, grants: AclGrant[]): Promise<void> {
    await (await this.admin()).deleteAcls({ filters: grants.map((grant) => toAcl(user, grant)) });
  }

  /**
   * The file's own broker is stopped and deleted; on the run's broker the ACLs the file granted
   * and the topics it created are deleted, so the next file (or run) sees none of them.
   */
  async close(): Promise<void> {
    if (this.own) {
      await this.adminClient?.disconnect();
      const pid = this.pid();
      await this.script('stop');
      await this.script('reset');
      forgetProcessGroup(pid);
      return;
    }
    if (this.adminClient) {
      if (this.granted.length > 0) {
        await this.adminClient.deleteAcls({ filters: this.granted.map(({ user, grant }) => toAcl(user, grant)) });
      }
      if (this.createdTopics.length > 0) await this.adminClient.deleteTopics({ topics: this.createdTopics });
      await this.adminClient.disconnect();
    }
  }

  /** kafka.sh starts the broker with setsid: its pid is also its process group's id. */
  private pid(): number {
    return Number(readFileSync(join(KAFKA_HOME, `kafka-${this.port}.pid`), 'utf8'));
  }

  private async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = createKafkaClient({
        clientId: 'e2e-secure-admin',
        brokers: [this.brokers],
        logLevel: logLevel.NOTHING,
        ...this.clientConfig(),
      }).admin();
      await admin.connect();
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  private async script(command: 'start' | 'stop' | 'reset'): Promise<void> {
    if (!this.own) throw new Error("the run's broker is started and stopped by scripts/test.sh");
    await run('bash', [join(REPO, 'scripts/kafka.sh'), command], {
      cwd: REPO,
      timeout: 180_000,
      env: {
        ...process.env,
        KAFKA_SECURITY: 'sasl_ssl',
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.own.controllerPort),
        KAFKA_SASL_USERS: this.own.users.join(' '),
      },
    });
  }
}

function toAcl(user: string, grant: AclGrant) {
  return {
    resourceType: grant.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: grant.name,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: `User:${user}`,
    host: '*',
    operation: AclOperationTypes[grant.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/**
 * Exactly the ACLs docs/security.md lists for the service (topics created beforehand, so no
 * CREATE): READ on the request topic and the consumer group, WRITE on the outcome and
 * dead-letter topics. READ and WRITE include DESCRIBE.
 */
export function serviceAcls(
  topics: { requested: string; completed: string; failed: string; deadLetter: string },
  groupId: string,
): AclGrant[] {
  return [
    { resource: 'topic', name: topics.requested, operation: 'READ' },
    { resource: 'group', name: groupId, operation: 'READ' },
    { resource: 'topic', name: topics.completed, operation: 'WRITE' },
    { resource: 'topic', name: topics.failed, operation: 'WRITE' },
    { resource: 'topic', name: topics.deadLetter, operation: 'WRITE' },
  ];
}
