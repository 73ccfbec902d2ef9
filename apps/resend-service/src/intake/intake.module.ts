import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { SubmissionModule } from '../submission/submission.module.js';
import { DeadLetters } from './dead-letters.js';
import { IntakeLog } from './intake-log.js';
import { IntakeTransactions } from './intake-transactions.js';
import { IntakeService } from './intake.service.js';
import { RecordSpans } from './record-spans.js';
import { RequestConsumer } from './request-consumer.js';

/** Step 1 of the flow: consume, validate, record. */
@Module({
  imports: [MetricsModule, RequestsModule, OutcomeModule, SubmissionModule],
  providers: [RequestConsumer, IntakeService, IntakeTransactions, RecordSpans, IntakeLog, DeadLetters],
  exports: [IntakeService, RequestConsumer],
})
export class IntakeModule {}
