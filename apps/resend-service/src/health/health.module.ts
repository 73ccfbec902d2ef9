import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaModule } from '../kafka/kafka.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { HealthController } from './health.controller.js';
import { ReadinessFailureLogger } from './readiness-failure-logger.js';
import { StageWatchdog } from './stage-watchdog.js';

@Module({
  imports: [
    TerminusModule.forRoot({ logger: ReadinessFailureLogger }),
    KafkaModule,
    MetricsModule,
    RequestsModule,
    OutcomeModule,
    LifecycleModule,
  ],
  controllers: [HealthController],
  providers: [StageWatchdog],
})
export class HealthModule {}
