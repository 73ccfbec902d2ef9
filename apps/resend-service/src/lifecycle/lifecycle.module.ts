import { Module } from '@nestjs/common';
import { IntakeModule } from '../intake/intake.module.js';
import { KafkaModule } from '../kafka/kafka.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { SubmissionModule } from '../submission/submission.module.js';
import { FlowLifecycle } from './flow-lifecycle.js';

/** Starts and stops the flow's parts; its state feeds /health. */
@Module({
  imports: [KafkaModule, IntakeModule, SubmissionModule, OutcomeModule],
  providers: [FlowLifecycle],
  exports: [FlowLifecycle],
})
export class LifecycleModule {}
