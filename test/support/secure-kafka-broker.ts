import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type Admin,
  type KafkaConfig,
} from 'kafkajs';
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
 * A throw-away broker in secure mode (`KAFKA_SECURITY=sasl_ssl scripts/kafka.sh`): SASL_SSL
 * listener, a CA and certificates made at start, SCRAM/PLAIN users with random passwords, and the
 * StandardAuthorizer, on free ports. Its process group is noted like every process a test starts.
 */
export class SecureKafkaBroker {
  private adminClient: Admin | null = null;

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    readonly users: string[],
  ) {}

  static async start(users: string[]): Promise<SecureKafkaBroker> {
    const broker = new SecureKafkaBroker(await freePort(), await freePort(), users);
    await broker.script('reset').catch(() => undefined);
    await broker.script('start');
    noteProcessGroup(broker.pid(), `secure kafka ${broker.port}`);
    return broker;
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Where the script put the certificates and the users' passwords. */
  file(name: 'ca.pem' | 'other-ca.pem' | 'client.pem' | 'client.key'): string {
    return join(KAFKA_HOME, `secure-${this.port}`, name);
  }

  passwordFile(user: string): string {
    return join(KAFKA_HOME, `secure-${this.port}`, 'users', user);
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

  async createTopics(topics: string[]): Promise<void> {
    const admin = await this.admin();
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
  }

  async grant(user: string, grants: AclGrant[]): Promise<void> {
    await (await this.admin()).createAcls({ acl: grants.map((grant) => toAcl(user, grant)) });
  }

  async revoke(user: string, grants: AclGrant[]): Promise<void> {
    await (await this.admin()).deleteAcls({ filters: grants.map((grant) => toAcl(user, grant)) });
  }

  async stop(): Promise<void> {
    await this.adminClient?.disconnect();
    const pid = this.pid();
    await this.script('stop');
    await this.script('reset');
    forgetProcessGroup(pid);
  }

  /** kafka.sh starts the broker with setsid: its pid is also its process group's id. */
  private pid(): number {
    return Number(readFileSync(join(KAFKA_HOME, `kafka-${this.port}.pid`), 'utf8'));
  }

  private async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = new Kafka({
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
    await run('bash', [join(REPO, 'scripts/kafka.sh'), command], {
      cwd: REPO,
      timeout: 180_000,
      env: {
        ...process.env,
        KAFKA_SECURITY: 'sasl_ssl',
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
        KAFKA_SASL_USERS: this.users.join(' '),
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
