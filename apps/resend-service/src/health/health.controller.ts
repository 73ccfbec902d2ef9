import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { OutboxRelay } from '#outbox';
import { KafkaAdmin } from '../kafka/kafka-admin.js';

/**
 * `GET /health`: readiness. 503 while the database or Kafka cannot be reached, or while the
 * outbox relay cannot publish. `GET /health/live`: liveness, the process answers.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaAdmin,
    private readonly relay: OutboxRelay,
  ) {}

  @Get()
  @HealthCheck()
  readiness() {
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(2_000),
      () =>
        this.indicators
          .check('kafka')
          .attempt(() => this.kafka.describeCluster())
          .withTimeout(3_000),
      () => this.outboxStatus(),
    ]);
  }

  @Get('live')
  liveness() {
    return { status: 'ok' };
  }

  private outboxStatus() {
    const indicator = this.indicators.check('outbox');
    const failure = this.relay.failure;
    return failure === null ? indicator.up({ running: this.relay.isRunning }) : indicator.down({ error: failure });
  }
}
