import { Injectable } from '@nestjs/common';
import type { StageProgress } from '#common';
import { OutboxRelay } from '#outbox';
import { Gauge, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { FlowProgress } from '../requests/flow-progress.js';

export interface StalledStage {
  stage: string;
  /** How long work has waited without the stage making progress. */
  waitingSeconds: number;
}

/**
 * Watches the stages that move requests along (intake, submission, the outbox relay): one that has
 * made no progress for STAGE_STALL_MS while work waits for it is stalled — its database calls hang
 * or keep failing. Readiness says which (health.controller.ts), and so do two gauges. A stalled
 * stage recovers by itself: its calls are bounded (DATABASE_QUERY_TIMEOUT_MS) and tried again,
 * and its first success clears it. A readiness ping alone could not see this: it takes a
 * connection of its own, which may work while every connection the stages hold hangs.
 */
@Injectable()
export class StageWatchdog {
  private readonly stages: StageProgress[];

  constructor(
    flow: FlowProgress,
    relay: OutboxRelay,
    private readonly config: AppConfig,
    registry: Registry,
  ) {
    this.stages = [flow.intake, flow.submission, relay.progress];
    const stalled: Gauge<'stage'> = new Gauge({
      name: 'resend_relay_stage_stalled',
      help: 'Whether a stage (intake, submission, outbox) has made no progress for STAGE_STALL_MS while work waits for it (1) or not (0).',
      labelNames: ['stage'],
      registers: [registry],
      collect: () => {
        for (const stage of this.stages) stalled.set({ stage: stage.stage }, this.isStalled(stage) ? 1 : 0);
      },
    });
    const waiting: Gauge<'stage'> = new Gauge({
      name: 'resend_relay_stage_waiting_seconds',
      help: 'How long work has waited for a stage without it making progress; 0 when none waits.',
      labelNames: ['stage'],
      registers: [registry],
      collect: () => {
        for (const stage of this.stages) waiting.set({ stage: stage.stage }, stage.waitingMs() / 1000);
      },
    });
  }

  stalled(): StalledStage[] {
    return this.stages
      .filter((stage) => this.isStalled(stage))
      .map((stage) => ({ stage: stage.stage, waitingSeconds: Math.round(stage.waitingMs() / 100) / 10 }));
  }

  private isStalled(stage: StageProgress): boolean {
    return stage.waitingMs() > this.config.stageStallMs;
  }
}
