import type { SimulatorSettings } from '../../apps/itniotech-simulator/src/simulator-settings.js';
import { TestDatabase } from './database.js';
import { e2e, TOPICS } from './e2e-context.js';
import { KafkaTestClient } from './kafka-test-client.js';
import { startService, type RunningService } from './service-harness.js';
import { RunningSimulator } from './simulator-harness.js';

/** Everything an in-process e2e test of the flow talks to. */
export interface FlowFixture {
  simulator: RunningSimulator;
  service: RunningService;
  /** Already watching the outcome topics (and any extra ones asked for). */
  kafka: KafkaTestClient;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * Starts the simulator, the service (with `service` environment overrides) and a consumer of the
 * outcome topics. Use in `beforeAll`, and `close()` in `afterAll`.
 */
export async function startFlow(
  options: { service?: Record<string, string>; simulator?: Partial<SimulatorSettings>; alsoWatch?: string[] } = {},
): Promise<FlowFixture> {
  const simulator = await RunningSimulator.start(options.simulator);
  const service = await startService(simulator.url, options.service);
  const kafka = new KafkaTestClient(e2e.kafkaBrokers);
  await kafka.watch([TOPICS.completed, TOPICS.failed, ...(options.alsoWatch ?? [])]);
  const db = new TestDatabase();
  return {
    simulator,
    service,
    kafka,
    db,
    async close() {
      await kafka.close();
      await service.stop();
      await simulator.close();
      await db.close();
    },
  };
}
