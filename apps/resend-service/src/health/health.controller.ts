import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { OutboxRelay } from '#outbox';
import { DataSource } from 'typeorm';
import { KafkaAdmin } from '../kafka/kafka-admin.js';
import { FlowLifecycle } from '../lifecycle/flow-lifecycle.js';
import { StageWatchdog } from './stage-watchdog.js';

/**
 * `GET /health`: readiness. 503 while the flow has not started (it names what it waits for),
 * while the database or Kafka cannot be reached, while the outbox relay cannot publish, or while a
 * stage makes no progress with work waiting (`stages`: which, and for how long; StageWatchdog).
 * `GET /health/live`: liveness, the process answers (from the first second, outages or not).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaAdmin,
    private readonly relay: OutboxRelay,
    private readonly dataSource: DataSource,
    private readonly flow: FlowLifecycle,
    private readonly watchdog: StageWatchdog,
  ) {}

  @Get()
  @HealthCheck()
  readiness() {
    return this.health.check([
      () => this.flowStatus(),
      () =>
        this.dataSource.isInitialized
          ? this.database.pingCheck('database').withTimeout(2_000)
          : this.indicators.check('database').down({ message: 'not connected yet' }),
      () =>
        this.indicators
          .check('kafka')
          .attempt(() => this.kafka.describeCluster())
          .withTimeout(3_000),
      () => this.outboxStatus(),
      () => this.stagesStatus(),
    ]);
  }

  @Get('live')
  liveness() {
    return { status: 'ok' };
  }

  private flowStatus() {
    const indicator = this.indicators.check('flow');
    const state = this.flow.state;
    return state.started ? indicator.up() : indicator.down({ waitingFor: state.waitingFor });
  }

  private stagesStatus() {
    const indicator = this.indicators.check('stages');
    const stalled = this.watchdog.stalled();
    if (stalled.length === 0) return indicator.up();
    return indicator.down({
      stalled: Object.fromEntries(
        stalled.map(({ stage, waitingSeconds }) => [stage, `no progress for ${waitingSeconds} s while work waits`]),
      ),
    });
  }

  private outboxStatus() {
    const indicator = this.indicators.check('outbox');
    const failure = this.relay.failure;
    return failure === null ? indicator.up({ running: this.relay.isRunning }) : indicator.down({ error: failure });
  }
}
