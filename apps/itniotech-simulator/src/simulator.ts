import type { BeforeApplicationShutdown } from '@nestjs/common';
import { CallJournal } from './call-journal.js';
import { CallPipeline } from './call-pipeline.js';
import { FaultRules } from './fault-rules.js';
import { HeldCalls } from './held-calls.js';
import { LateCalls } from './late-calls.js';
import { ProviderEndpoints } from './provider-endpoints.js';
import { ProviderGate } from './provider-gate.js';
import { RuntimeSettings } from './runtime-settings.js';
import type { SimulatorSettings } from './simulator-settings.js';
import { TaskStore } from './task-store.js';

/** All of the simulator's in-memory state and parts, wired together once. */
export class Simulator implements BeforeApplicationShutdown {
  readonly settings: RuntimeSettings;
  readonly tasks: TaskStore;
  readonly journal: CallJournal;
  readonly faults = new FaultRules();
  readonly held = new HeldCalls();
  readonly late = new LateCalls();
  readonly gate: ProviderGate;
  readonly pipeline: CallPipeline;

  constructor(settings: SimulatorSettings) {
    this.settings = new RuntimeSettings(settings);
    this.tasks = new TaskStore(settings.firstTaskId);
    this.journal = new CallJournal(settings.callHistoryLimit);
    this.gate = new ProviderGate(this.settings);
    const endpoints = new ProviderEndpoints(this.settings, this.tasks);
    this.pipeline = new CallPipeline({
      settings: this.settings,
      gate: this.gate,
      endpoints,
      faults: this.faults,
      held: this.held,
      late: this.late,
      journal: this.journal,
    });
  }

  /**
   * Back to the start: no tasks, calls, faults or counters, start-up settings; held calls go on;
   * dropped calls waiting to be processed later are forgotten (no task appears after a reset).
   */
  reset(): void {
    this.faults.clear();
    this.held.releaseAll();
    this.late.cancelAll();
    this.tasks.clear();
    this.journal.clear();
    this.gate.reset();
    this.settings.reset();
  }

  /** Held calls keep their connections open, which would keep the server from closing; late ones its timers. */
  beforeApplicationShutdown(): void {
    this.held.releaseAll();
    this.late.cancelAll();
  }
}
