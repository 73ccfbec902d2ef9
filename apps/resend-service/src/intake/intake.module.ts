import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { SubmissionModule } from '../submission/submission.module.js';
import { DeadLetters } from './dead-letters.js';
import { IntakeService } from './intake.service.js';
import { RequestConsumer } from './request-consumer.js';

/** Step 1 of the flow: consume, validate, record. */
@Module({
  imports: [MetricsModule, RequestsModule, OutcomeModule, SubmissionModule],
  providers: [RequestConsumer, IntakeService, DeadLetters],
  exports: [IntakeService, RequestConsumer],
})
export class IntakeModule {}
