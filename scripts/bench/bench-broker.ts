import { createKafkaClient } from '#common';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { say } from './bench-log.js';

/** The benchmark's own broker: scripts/kafka.sh on its port, with its data under `home`. */
export class BenchBroker {
  readonly kafka: Kafka;
  private admin: Admin | null = null;

  constructor(
    readonly port: number,
    private readonly home: string,
  ) {
    this.kafka = createKafkaClient({ clientId: 'resend-relay-bench', brokers: [this.address], logLevel: logLevel.NOTHING });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Deletes what an earlier run left, then starts and waits until ready (kafka.sh has the deadline). */
  async start(): Promise<void> {
    await this.script('reset');
    await this.script('start');
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.script('stop');
  }

  /** The broker's JVM, from the pid file kafka.sh writes. */
  pid(): number {
    return Number(readFileSync(`${this.home}/kafka-${this.port}.pid`, 'utf8').trim());
  }

  /** The broker version, as scripts/kafka/pom.xml pins it (kafka.sh resolves that one). */
  version(): string {
    const pom = readFileSync('scripts/kafka/pom.xml', 'utf8');
    return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1] ?? 'unknown';
  }

  /**
   * New topics with `partitions` partitions. Record timestamps are set by the broker when it
   * appends (LogAppendTime), so that request and outcome times come from one clock.
   */
  async createTopics(topics: string[], partitions: number): Promise<void> {
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
  }

  private script(command: 'reset' | 'start' | 'stop'): Promise<void> {
    say(`kafka.sh ${command} (port ${this.port})`);
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['scripts/kafka.sh', command], {
        env: {
          ...process.env,
          KAFKA_PORT: String(this.port),
          KAFKA_CONTROLLER_PORT: String(this.port + 1),
          KAFKA_HOME: this.home,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/kafka.sh ${command} exited with ${code}`))));
    });
  }
}
