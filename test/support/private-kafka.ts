import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTopics } from './e2e-context.js';
import { freePort } from './free-port.js';
import { forgetProcessGroup, noteProcessGroup } from './process-groups.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../..');

/**
 * A broker of a test file's own (scripts/kafka.sh on free ports, empty storage), for a file that
 * stops and starts its broker: the broker every other file shares must stay up.
 */
export class PrivateKafka {
  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
  ) {}

  /** Starts it and creates `topics` on it (3 partitions each). */
  static async start(topics: string[] = []): Promise<PrivateKafka> {
    const broker = new PrivateKafka(await freePort(), await freePort());
    await broker.script('reset');
    await broker.start();
    if (topics.length > 0) await createTopics(broker.brokers, topics);
    return broker;
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the broker again on the same storage (topics and offsets survive a stop). */
  async start(): Promise<void> {
    await this.script('start');
    noteProcessGroup(this.pid(), `kafka ${this.port}`);
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    await this.script('stop');
    forgetProcessGroup(pid);
  }

  /** Stops it and deletes its storage. */
  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    await this.script('reset');
  }

  /** kafka.sh starts the broker with setsid: its pid is also its process group's id. */
  private pid(): number {
    return Number(readFileSync(join(process.env.KAFKA_HOME ?? join(REPO, '.kafka'), `kafka-${this.port}.pid`), 'utf8'));
  }

  private async script(command: 'start' | 'stop' | 'reset'): Promise<void> {
    await run('bash', [join(REPO, 'scripts/kafka.sh'), command], {
      cwd: REPO,
      timeout: 180_000,
      env: { ...process.env, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort) },
    });
  }
}
