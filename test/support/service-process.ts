import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { forgetProcessGroup, noteProcessGroup, signalProcessGroup } from './process-groups.js';
import { testServiceEnvironment } from './service-harness.js';
import { waitFor } from './wait-for.js';

const SERVICE_ENTRY = 'dist/apps/resend-service/src/main.js';

/**
 * The built resend-service as a real OS process (what `npm start` runs), for tests that kill
 * it: SIGKILL at a failpoint, SIGTERM for a graceful stop, several instances in one group.
 * Its output goes to .run/test-logs/<name>.log and is kept in memory for `waitForOutput`. It leads
 * a process group of its own (see process-groups.ts): signals go to the group.
 */
export class ServiceProcess {
  /** Every instance not yet exited, so that a test file that failed half-way leaves none behind (see e2e-file.ts). */
  private static readonly alive = new Set<ServiceProcess>();
  private output = '';
  readonly startedAt = Date.now();
  private readonly exited: Promise<number | null>;
  url = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    mkdirSync('.run/test-logs', { recursive: true });
    const log = createWriteStream(`.run/test-logs/${name}.log`, { flags: 'a' });
    const capture = (chunk: Buffer) => {
      this.output += chunk.toString();
      log.write(chunk);
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    ServiceProcess.alive.add(this);
    noteProcessGroup(child.pid!, `resend-service ${name}`);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        ServiceProcess.alive.delete(this);
        // The group may outlive its leader only if the leader started children: stop them too.
        signalProcessGroup(child.pid!, 'SIGKILL');
        forgetProcessGroup(child.pid!);
        resolve(code);
      }),
    );
  }

  /**
   * SIGKILLs the instances still running; returns their names. A test that timed out never ran
   * its cleanup: its instances would otherwise join the next file's consumer group.
   */
  static async killLeftovers(): Promise<string[]> {
    const leftovers = [...ServiceProcess.alive];
    await Promise.all(leftovers.map((instance) => instance.kill()));
    return leftovers.map((instance) => instance.name);
  }

  /**
   * Starts an instance and waits until it listens and its flow has started (PostgreSQL and Kafka
   * reached, consumer running). With `waitForFlow: false`, only until it listens: for tests that
   * start it while a dependency is down. `env` adds to or overrides the test defaults.
   */
  static async start(
    name: string,
    providerUrl: string,
    env: Record<string, string> = {},
    options: { waitForFlow?: boolean } = {},
  ): Promise<ServiceProcess> {
    const instance = ServiceProcess.spawn(name, providerUrl, env);
    const match = await instance.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/, 60_000);
    instance.url = match[1]!;
    if (options.waitForFlow ?? true) await instance.waitForOutput(/flow started/, 60_000);
    return instance;
  }

  /** Starts an instance without waiting for anything; `startedAt` is the time of the spawn. */
  static spawn(name: string, providerUrl: string, env: Record<string, string> = {}): ServiceProcess {
    const child = spawn(process.execPath, ['--enable-source-maps', SERVICE_ENTRY], {
      env: {
        PATH: process.env.PATH,
        ...testServiceEnvironment(providerUrl),
        INSTANCE_ID: name,
        LOG_LEVEL: 'info',
        // A killed instance's lease expires quickly, so that tests see the request resumed.
        SUBMISSION_LEASE_MS: '5000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new ServiceProcess(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until the process has printed something matching `pattern` (e.g. `FAILPOINT after_claim`). */
  waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.name} to print ${pattern}`,
      () => {
        const match = this.output.match(pattern);
        if (match) return match;
        if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}`);
        return undefined;
      },
      timeoutMs,
    );
  }

  /** SIGKILL: no shutdown hook runs, exactly like a crash. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) signalProcessGroup(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  get log(): string {
    return this.output;
  }
}
