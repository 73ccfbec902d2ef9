import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { TestDatabase } from './database.js';
import { e2e } from './e2e-context.js';
import { KafkaTestClient } from './kafka-test-client.js';
import { ServiceProcess } from './service-process.js';
import type { SimulatorSettings } from '../../apps/itniotech-simulator/src/simulator-settings.js';
import { RunningSimulator } from './simulator-harness.js';

/** What a file that runs the service as real OS processes works with; filled in by its beforeAll. */
export interface ServiceProcesses {
  simulator: RunningSimulator;
  kafka: KafkaTestClient;
  db: TestDatabase;
  /**
   * Starts an instance against the simulator, its instance id `name` plus a random suffix (ids never
   * repeat across runs on one database); it is SIGKILLed after the test if still running.
   */
  start(name: string, env?: Record<string, string>): Promise<ServiceProcess>;
}

export interface ServiceProcessesOptions {
  /** Topics the Kafka client collects from the start (e.g. the outcome topics). */
  watch?: string[];
  /** Environment of every instance, before the test's own. */
  env?: Record<string, string>;
  /**
   * The file's tests run side by side (`it.concurrent`): instances are then killed after the
   * file, not after each test (which would kill a test still running), and each test stops its own.
   */
  concurrent?: boolean;
  /** Settings of the file's simulator (e.g. `uniqueTaskNames`). */
  simulator?: Partial<SimulatorSettings>;
}

/**
 * The set-up shared by the files that start service processes (crash recovery, shutdown, one
 * outcome): a simulator, a Kafka client, the test database, and after each test every instance
 * killed and the simulator's held calls released. Call it inside the `describe`.
 */
export function useServiceProcesses({
  watch = [],
  env: sharedEnv = {},
  concurrent = false,
  simulator: simulatorSettings = {},
}: ServiceProcessesOptions = {}): ServiceProcesses {
  const running: ServiceProcess[] = [];
  const parts = {
    async start(name: string, env: Record<string, string> = {}) {
      const instance = await ServiceProcess.start(`${name}-${randomUUID().slice(0, 4)}`, parts.simulator.url, { ...sharedEnv, ...env });
      running.push(instance);
      return instance;
    },
  } as ServiceProcesses;

  beforeAll(async () => {
    parts.simulator = await RunningSimulator.start(simulatorSettings);
    parts.kafka = new KafkaTestClient(e2e.kafkaBrokers);
    if (watch.length > 0) await parts.kafka.watch(watch);
    parts.db = new TestDatabase();
  });

  const killRunning = async () => {
    await Promise.all(running.splice(0).map((instance) => instance.kill()));
    await parts.simulator?.release();
  };
  if (!concurrent) afterEach(killRunning);

  afterAll(async () => {
    await killRunning();
    await parts.kafka?.close();
    await parts.simulator?.reset();
    await parts.simulator?.close();
    await parts.db?.close();
  });

  return parts;
}
