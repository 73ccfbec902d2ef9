import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaModule } from '../kafka/kafka.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, KafkaModule, OutcomeModule, LifecycleModule],
  controllers: [HealthController],
})
export class HealthModule {}
