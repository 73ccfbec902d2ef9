import type { z } from 'zod';
import type { CallRecord } from './call-journal.js';
import type { faultRuleSchema } from './fault-rule.js';
import type { ActiveFaultRule } from './fault-rules.js';
import type { HeldCall } from './held-calls.js';
import type { RuntimeSettingsUpdate, SimulatorSettings } from './simulator-settings.js';

/** A fault rule as the control API accepts it (answer status may be a number). */
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export interface CallCounters {
  total: number;
  pending: number;
  byStatus: Record<string, number>;
}

export interface LedgerTask {
  taskId: number;
  keyId: number;
  taskName: string;
  body: unknown;
  headers: { apiKey: string; timestamp: string };
  signatureValid: true;
  createdAt: string;
  createdTime: string;
  status: number;
}

/**
 * A typed client of the simulator's control API (`/__simulator/...`), for tests and benchmarks
 * that run the simulator in-process or as a separate process.
 */
export class SimulatorControl {
  constructor(private readonly baseUrl: string) {}

  ledger(): Promise<{ tasks: LedgerTask[]; calls: CallCounters }> {
    return this.request('GET', '/__simulator/ledger');
  }

  calls(): Promise<CallCounters & { calls: CallRecord[] }> {
    return this.request('GET', '/__simulator/calls');
  }

  async reset(): Promise<void> {
    await this.request('POST', '/__simulator/reset');
  }

  async addFaults(...rules: FaultRuleInput[]): Promise<ActiveFaultRule[]> {
    const answer = await this.request<{ rules: ActiveFaultRule[] }>('POST', '/__simulator/faults', rules);
    return answer.rules;
  }

  async clearFaults(): Promise<number> {
    return (await this.request<{ cleared: number }>('DELETE', '/__simulator/faults')).cleared;
  }

  settings(): Promise<Omit<SimulatorSettings, 'apiSecret'>> {
    return this.request('GET', '/__simulator/settings');
  }

  updateSettings(changes: RuntimeSettingsUpdate): Promise<Omit<SimulatorSettings, 'apiSecret'>> {
    return this.request('POST', '/__simulator/settings', changes);
  }

  held(): Promise<{ count: number; calls: HeldCall[] }> {
    return this.request('GET', '/__simulator/held');
  }

  async release(): Promise<number> {
    return (await this.request<{ released: number }>('POST', '/__simulator/release')).released;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Simulator control ${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}
