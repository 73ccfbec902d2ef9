import type { INestApplication } from '@nestjs/common';
import { createSimulatorApp } from '../../apps/itniotech-simulator/src/create-simulator-app.js';
import { SimulatorControl, type FaultRuleInput, type LedgerTask } from '../../apps/itniotech-simulator/src/simulator-control.js';
import type { SimulatorSettings } from '../../apps/itniotech-simulator/src/simulator-settings.js';
import { TEST_API_KEY, TEST_API_SECRET } from './service-harness.js';

export type { LedgerTask };

/** The provider simulator in-process on a free port, over real HTTP, with its control API client. */
export class RunningSimulator extends SimulatorControl {
  private constructor(
    private readonly app: INestApplication,
    readonly url: string,
  ) {
    super(url);
  }

  /**
   * The call journal keeps 50,000 calls (the default 10,000): the invariant checks read every
   * resend call of a scenario from it to count second calls.
   */
  static async start(settings: Partial<SimulatorSettings> = {}): Promise<RunningSimulator> {
    const app = await createSimulatorApp(
      { apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, logCalls: false, callHistoryLimit: 50_000, ...settings },
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return new RunningSimulator(app, url);
  }

  async tasksFor(keyId: number): Promise<LedgerTask[]> {
    return (await this.ledger()).tasks.filter((task) => task.keyId === keyId);
  }

  addFault(rule: FaultRuleInput) {
    return this.addFaults(rule);
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
