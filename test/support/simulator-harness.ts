import type { INestApplication } from '@nestjs/common';
import { createSimulatorApp } from '../../apps/itniotech-simulator/src/create-simulator-app.js';
import type { SimulatorSettings } from '../../apps/itniotech-simulator/src/simulator-settings.js';
import { TEST_API_KEY, TEST_API_SECRET } from './service-harness.js';

export interface LedgerTask {
  taskId: number;
  keyId: number;
  taskName: string;
  body: Record<string, unknown>;
  headers: { apiKey: string; timestamp: string };
  signatureValid: boolean;
}

/** The provider simulator on a free port, over real HTTP, with a small client for its control API. */
export class RunningSimulator {
  private constructor(
    private readonly app: INestApplication,
    readonly url: string,
  ) {}

  static async start(settings: Partial<SimulatorSettings> = {}): Promise<RunningSimulator> {
    const app = await createSimulatorApp(
      { apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, logCalls: false, ...settings },
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return new RunningSimulator(app, url);
  }

  async ledger(): Promise<{ tasks: LedgerTask[] }> {
    return (await this.control('GET', '/__simulator/ledger')) as { tasks: LedgerTask[] };
  }

  async tasksFor(keyId: number): Promise<LedgerTask[]> {
    return (await this.ledger()).tasks.filter((task) => task.keyId === keyId);
  }

  addFault(rule: object): Promise<unknown> {
    return this.control('POST', '/__simulator/faults', rule);
  }

  reset(): Promise<unknown> {
    return this.control('POST', '/__simulator/reset');
  }

  close(): Promise<void> {
    return this.app.close();
  }

  private async control(method: string, path: string, body?: object): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }
}
